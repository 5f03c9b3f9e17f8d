"""Alembic environment: importing the model modules registers their tables."""

import baton_intake.auth.models
import baton_intake.contacts.models
import baton_intake.issues.models
import baton_intake.outbound.models
import baton_intake.sources.models
import baton_runtime.idempotency
import baton_runtime.outbox
from baton_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
