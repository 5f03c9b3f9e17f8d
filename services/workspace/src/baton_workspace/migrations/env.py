"""Alembic environment: importing the model modules registers their tables."""

import baton_runtime.idempotency
import baton_runtime.outbox
import baton_workspace.projection.models
from baton_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
