"""Running Core statements built once (at import, with ``bindparam``s) on a
session's connection: the hot path's statements, where building a statement per
call and the ORM's execute path (autoflush, events, entity loading) cost more
than the round trip itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]


async def rows(session: AsyncSession, statement: Executable, params: Params) -> list[Row[Any]]:
    """Run ``statement`` in the session's transaction, in one switch into
    SQLAlchemy's greenlet; the rows it returns (none for a plain write)."""
    return await session.run_sync(_rows, statement, params)


def _rows(session: Session, statement: Executable, params: Params) -> list[Row[Any]]:
    # What the session holds unwritten goes first, as the ORM's autoflush would
    # before a query (a no-op on the hot path, which adds no ORM objects).
    session.flush()
    result = session.connection().execute(statement, params)
    return list(result.all()) if result.returns_rows else []
