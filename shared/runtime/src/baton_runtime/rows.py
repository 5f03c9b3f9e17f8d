"""Plain rows on the hot path, without the ORM's per-call cost.

- ``execute``, ``first``, ``rowcount`` and ``run`` run a statement built once (at
  import, with ``bindparam``s) on a session's connection, in its transaction, in
  one switch into SQLAlchemy's greenlet: the ORM's execute path (compile state,
  events, entity loading) and a statement built on every call cost more than the
  round trip itself.
- ``stage`` keeps a row to insert until the transaction commits, or until the
  session's next ORM query, or next statement here naming its table, whichever
  comes first; then the staged rows of each table go in one INSERT, so a
  consumer's unit of work of twenty events writes such a table once, not twenty
  times. A row may be staged with a statement of its own (an upsert: the
  rows staged with one statement go in one execution of it), and be handed what
  that statement returns for it (its id) once it is written. Rows staged inside a
  savepoint that rolls back are dropped with it; rows staged before a savepoint
  are written before it begins, so its rollback cannot take them back (as the
  ORM flushes before a SAVEPOINT). The outbox stages its rows here.
- ``held_until_commit`` is the same timing for what a caller counts in memory and
  writes late (ownership's round-robin turns and rosters): a write before the
  commit and before a savepoint, and nothing kept past the transaction.
- ``on_writes_to`` tells a caller that keeps what a transaction read (ownership's
  rosters, notifications' recipients) when the session is about to write those
  tables, so that it reads them again.

The listeners are registered on SQLAlchemy's ``Session`` class, for every
session of the process. ``stage`` begins the session's transaction if none has
(``Session.begin``; ``session.add`` begins one as well), so that a rollback before
anything was sent still drops the row (``shared/runtime/tests/test_rows.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Row, Table, TableClause, event, insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.sql.util import find_tables
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]

# A session's staged rows: (the transaction that staged it, table, row, the
# statement that writes it, what to call with what it returns for the row), in order.
_STAGED = "baton_staged_rows"


async def execute(
    session: AsyncSession, statement: Executable, params: Params | None = None
) -> list[Row[Any]]:
    """Run ``statement`` in the session's transaction; the rows it returns (none
    for a write without RETURNING)."""
    return await run(session, statement, params, _all)


def _all(result: CursorResult[Any]) -> list[Row[Any]]:
    return list(result.all()) if result.returns_rows else []


async def first(
    session: AsyncSession, statement: Executable, params: Params | None = None
) -> Row[Any] | None:
    """The first row ``statement`` returns (None: none)."""
    return await run(session, statement, params, _first)


async def rowcount(
    session: AsyncSession, statement: Executable, params: Params | None = None
) -> int:
    """How many rows ``statement`` changed."""
    return await run(session, statement, params, _rowcount)


def _first(result: CursorResult[Any]) -> Row[Any] | None:
    return result.first()


def _rowcount(result: CursorResult[Any]) -> int:
    return int(result.rowcount)


async def run(
    session: AsyncSession,
    statement: Executable,
    params: Params | None,
    take: Callable[[CursorResult[Any]], T],
) -> T:
    """Run ``statement`` in the session's transaction and hand back what ``take``
    makes of its result (``.scalar_one()``, ``.rowcount``, ``.first()``...)."""
    return await session.run_sync(_run, statement, params, take)


def _run(
    session: Session,
    statement: Executable,
    params: Params | None,
    take: Callable[[CursorResult[Any]], T],
) -> T:
    # What the session holds unwritten and the statement may read goes first, as
    # the ORM's autoflush would before a query: ORM objects (a cheap check when
    # there are none), and staged rows of the tables the statement names.
    session.flush()
    staged = session.info.get(_STAGED)
    if staged and _names(statement) & {item[1].name for item in staged}:
        write_staged(session)
    return take(session.connection().execute(statement, params))


@lru_cache(maxsize=512)
def _names(statement: Executable) -> frozenset[str]:
    """The tables a statement names (its statements are built once, so cached)."""
    found = find_tables(statement, include_crud=True)  # type: ignore[arg-type]
    return frozenset(t.name for t in found if isinstance(t, TableClause))


def stage(
    session: AsyncSession,
    table: Table,
    row: dict[str, Any],
    statement: Executable | None = None,
    *,
    returned: Callable[[Row[Any]], None] | None = None,
) -> None:
    """Insert ``row`` into ``table`` in this transaction, with the other rows
    staged for it (before the commit, or before the session's next query).

    ``statement``: an INSERT into ``table`` built once (an upsert, say) to write
    the row with instead of a plain one; the rows staged with the same statement
    go together, in the order staged, as one execution of it with many rows.
    ``returned``: called with what the statement returns for this row, once it
    is written; the statement must then return its rows in the order of its
    parameters (``returning(..., sort_by_parameter_order=True)``)."""
    sync = session.sync_session
    if not sync.in_transaction():
        sync.begin()
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    statement = statement if statement is not None else _insert(table)
    sync.info.setdefault(_STAGED, []).append((transaction, table, row, statement, returned))


def write_staged(session: Session, transaction: SessionTransaction | None = None) -> None:
    """Write every staged row, each statement's rows (a table's plain INSERT, or
    the statement they were staged with) in one execution, in the order the
    statements were first staged, in ``transaction`` (default: the innermost one);
    then hand each row that asked for it what the statement returned for it."""
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return
    connection = transaction.connection(None) if transaction else session.connection()
    statements: dict[Executable, list[tuple[dict[str, Any], Any]]] = {}
    for _, _, row, statement, returned in staged:
        statements.setdefault(statement, []).append((row, returned))
    for statement, written in statements.items():
        result = connection.execute(statement, [row for row, _ in written])
        if any(returned for _, returned in written):
            for found, (_, returned) in zip(result.all(), written, strict=True):
                if returned is not None:
                    returned(found)


_INSERTS: dict[Table, Executable] = {}


def _insert(table: Table) -> Executable:
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table)
    return statement


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also a savepoint's commit: what it staged is written inside it. The ORM's
    # objects first (the commit would flush them next), so that a staged row may
    # refer to one of them.
    if _STAGED in session.info:
        session.flush()
        write_staged(session)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_begins(session: Session, transaction: SessionTransaction) -> None:
    # What was staged before a savepoint is written before it (its SAVEPOINT is sent
    # lazily, with its first statement), so that the savepoint's rollback cannot
    # take it back. It also keeps each table's rows in the order they were staged.
    if transaction.nested and transaction.parent is not None:
        write_staged(session, transaction.parent)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    # An ORM query in the same transaction sees the staged rows, as after an autoflush.
    if _STAGED in state.session.info:
        write_staged(state.session)


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


def held_until_commit(key: str, write: Callable[[Session, Connection], None]) -> None:
    """For what a transaction keeps in ``session.info[key]`` to write later (counted
    in memory meanwhile): ``write(session, connection)`` runs before the commit, and
    before a savepoint begins (on the enclosing transaction's connection, so that
    the savepoint's rollback cannot take it back); it takes the key out of
    ``session.info``. The key is dropped when the outermost transaction ends
    (rolled back, or written at the commit)."""

    @event.listens_for(Session, "before_commit")
    def _before_commit(session: Session) -> None:
        if key in session.info:
            write(session, session.connection())

    @event.listens_for(Session, "after_transaction_create")
    def _savepoint_begins(session: Session, transaction: SessionTransaction) -> None:
        if transaction.nested and transaction.parent is not None and key in session.info:
            write(session, transaction.parent.connection(None))

    @event.listens_for(Session, "after_transaction_end")
    def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(key, None)


def on_writes_to(key: str, models: tuple[type, ...], changed: Callable[[Session], None]) -> None:
    """For what a transaction keeps in ``session.info[key]`` as read from ``models``'
    tables: ``changed(session)`` is called whenever that session is about to write
    them, by a flush of such objects or by an ORM INSERT, UPDATE or DELETE naming
    one of their tables, so that what it keeps is not trusted past the write.
    (Statements run here, by ``execute``, are the caller's own and not watched.)"""
    tables = frozenset(model.__table__.name for model in models)  # type: ignore[attr-defined]

    @event.listens_for(Session, "before_flush")
    def _flushing(session: Session, _flush: UOWTransaction, _instances: object) -> None:
        if key in session.info and any(
            isinstance(obj, models) for obj in (*session.new, *session.dirty, *session.deleted)
        ):
            changed(session)

    @event.listens_for(Session, "do_orm_execute")
    def _writing(state: ORMExecuteState) -> None:
        if key in state.session.info and not state.is_select:
            found = find_tables(state.statement, include_crud=True)  # type: ignore[arg-type]
            if any(getattr(table, "name", None) in tables for table in found):
                changed(state.session)
