"""Alembic environment: importing the model modules registers their tables."""

import baton_routing.catalog.models
import baton_routing.classifier.models
import baton_routing.decisions.models
import baton_routing.issues.models
import baton_runtime.idempotency
import baton_runtime.outbox
from baton_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
