"""Alembic environment: importing the model modules registers their tables."""

import baton_notifications.deliveries.models
import baton_notifications.directory.models
import baton_notifications.recipients.models
import baton_notifications.reporters.models
import baton_shared.idempotency
import baton_shared.outbox
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
