"""INSERT ... ON CONFLICT for whichever database the session is on: one round
trip where a read, then an insert or an update, would be two."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def insert(session: AsyncSession, model: Any) -> Any:
    """``model``'s INSERT, able to say ``on_conflict_do_*`` (PostgreSQL or SQLite)."""
    bind = session.bind
    dialect = bind.dialect.name if bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
