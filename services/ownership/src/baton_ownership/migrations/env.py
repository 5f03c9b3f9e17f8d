import baton_ownership.assignment.models
import baton_ownership.directory.models
import baton_ownership.lifecycle.models  # noqa: F401
import baton_shared.idempotency
import baton_shared.outbox  # noqa: F401
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
