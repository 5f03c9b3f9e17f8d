"""Alembic environment: importing the model modules registers their tables."""

import baton_notifications.deliveries.models
import baton_notifications.directory.models
import baton_notifications.issues.models
import baton_notifications.recipients.models
import baton_notifications.reporters.models
import baton_runtime.idempotency
import baton_runtime.outbox
from baton_runtime.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
