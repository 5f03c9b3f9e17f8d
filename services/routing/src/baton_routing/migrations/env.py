import baton_routing.catalog.models
import baton_routing.decisions.models  # noqa: F401  (registers the tables)
import baton_shared.idempotency
import baton_shared.outbox  # noqa: F401
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
