# Importing the model modules registers their tables on SQLModel.metadata.
import baton_shared.idempotency
import baton_shared.outbox  # noqa: F401
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
