"""Alembic environment: importing the model modules registers their tables."""

import baton_ownership.assignment.models
import baton_ownership.core.models
import baton_ownership.deadlines.models
import baton_ownership.directory.models
import baton_ownership.feedback.models
import baton_ownership.insights.models
import baton_ownership.links.models
import baton_ownership.workload.models
import baton_runtime.idempotency
import baton_runtime.outbox
from baton_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
