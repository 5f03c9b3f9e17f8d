"""Alembic environment: importing the model modules registers their tables."""

import baton_intake.issues.models
import baton_shared.outbox
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
