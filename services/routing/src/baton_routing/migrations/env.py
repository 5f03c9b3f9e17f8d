"""Alembic environment: importing the model modules registers their tables."""

import baton_routing.catalog.models
import baton_routing.decisions.models
import baton_routing.learned.history
import baton_shared.idempotency
import baton_shared.outbox
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
