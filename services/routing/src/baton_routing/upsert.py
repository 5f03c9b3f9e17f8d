"""``INSERT ... ON CONFLICT`` for the database at hand: one round trip where a
read before the write would be two."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT with ``on_conflict_do_update``/``_do_nothing``, for this session's
    dialect (PostgreSQL in production, SQLite embedded)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
