"""Alembic environment: importing the model modules registers their tables."""

import baton_ownership.assignment.models
import baton_ownership.deadlines.models
import baton_ownership.directory.models
import baton_ownership.insights.models
import baton_ownership.lifecycle.models
import baton_shared.idempotency
import baton_shared.outbox
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
