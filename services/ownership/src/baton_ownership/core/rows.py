"""Core statements for the per-issue hot path, without the ORM's per-call cost.

``run`` executes a statement built once (``bindparam``s, a parameter dict) on the
session's connection, in one switch into SQLAlchemy's greenlet, and hands back
what it returned as plain values: the ORM's execute path (its compile state, its
events, its result wrapping) and a statement built on every call cost far more
than the round trip itself.

``stage`` keeps a row to insert until the transaction commits, or until the
session's next ORM query (which may read it), whichever comes first: then every
staged row of a table goes in one INSERT, so a consumer's unit of work of twenty
assignments writes each such table once, not twenty times. Rows staged inside a
savepoint that rolls back are dropped with it, as the outbox's are
(``baton_runtime.outbox``, whose staging this follows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")

# A session's staged rows: (the transaction that staged it, table, row), in order.
_STAGED = "baton_ownership_staged_rows"


async def run(session: AsyncSession, read: Callable[[Connection], T]) -> T:
    """``read(connection)`` on the session's connection, after a flush of pending
    ORM changes (as the ORM's autoflush would), in one greenlet switch. ``read``
    runs the statements and takes from their results all it needs."""
    return await session.run_sync(_on_connection, read)


def _on_connection(session: Session, read: Callable[[Connection], T]) -> T:
    session.flush()  # nothing to do (a cheap check) unless the ORM holds changes
    return read(session.connection())


def stage(session: AsyncSession, table: Table, row: dict[str, Any]) -> None:
    """Insert ``row`` into ``table`` in this transaction, with the staged rows of
    the same table (before the commit, or before the next ORM query)."""
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    assert transaction is not None, "stage() inside a transaction"
    sync.info.setdefault(_STAGED, []).append((transaction, table, row))


def _write(session: Session, transaction: SessionTransaction | None = None) -> None:
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return
    connection = transaction.connection(None) if transaction else session.connection()
    tables: dict[Table, list[dict[str, Any]]] = {}
    for _, table, row in staged:
        tables.setdefault(table, []).append(row)
    for table, rows in tables.items():
        connection.execute(_insert(table), rows)


_INSERTS: dict[Table, Any] = {}


def _insert(table: Table) -> Any:
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table)
    return statement


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also a savepoint's commit: what it staged is written inside it.
    _write(session)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_begins(session: Session, transaction: SessionTransaction) -> None:
    # What was staged before a savepoint is written before it, so that its
    # rollback cannot take it back.
    if transaction.nested and transaction.parent is not None:
        _write(session, transaction.parent)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    # An ORM query in the same transaction sees the staged rows, as after an autoflush.
    if _STAGED in state.session.info:
        _write(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    staged = session.info.get(_STAGED)
    if not staged:
        return
    if transaction.parent is None:
        # The whole transaction is over and these were never written (rolled back).
        session.info.pop(_STAGED, None)
    else:
        session.info[_STAGED] = [item for item in staged if item[0] is not transaction]
