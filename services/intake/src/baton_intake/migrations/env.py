"""Alembic environment: importing the model modules registers their tables."""

import baton_intake.auth.models
import baton_intake.channels.email
import baton_intake.contacts.models
import baton_intake.issues.models
import baton_shared.idempotency
import baton_shared.outbox
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
