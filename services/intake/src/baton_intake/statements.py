"""Core statements, built once, run in an ORM session's transaction.

On the hot paths (``POST /v1/issues``, the ``issues.ownership`` consumer) a
statement built on every call, or an ORM object flushed by the unit of work,
costs more CPU than the round trip itself: building the statement, its cache
key, the ORM's bookkeeping. A statement built at import with ``bindparam``s (or
once per dialect) and executed with a parameter dict skips all of that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession


def dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


async def first(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Row[Any] | None:
    """The first row ``statement`` returns (None: none)."""
    return await session.run_sync(_first, statement, params)


async def rowcount(session: AsyncSession, statement: Executable, params: Mapping[str, Any]) -> int:
    """How many rows ``statement`` changed."""
    return await session.run_sync(_rowcount, statement, params)


def _first(session: Session, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
    return _execute(session, statement, params).first()


def _rowcount(session: Session, statement: Executable, params: Mapping[str, Any]) -> int:
    return int(_execute(session, statement, params).rowcount)


def _execute(session: Session, statement: Executable, params: Mapping[str, Any]) -> Any:
    # In one switch into SQLAlchemy's greenlet, on the session's connection; what
    # the session holds unwritten goes first, as the ORM's autoflush would (nothing
    # to do, and nearly free, when it holds nothing).
    session.flush()
    return session.connection().execute(statement, params)
