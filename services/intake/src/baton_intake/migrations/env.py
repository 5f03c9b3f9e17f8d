# Importing the model modules registers their tables on SQLModel.metadata.
import baton_intake.auth.models
import baton_intake.channels.email
import baton_intake.contacts.models
import baton_intake.issues.models  # noqa: F401
import baton_shared.outbox  # noqa: F401
from baton_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
