"""Each department's round-robin turn among its liaisons (``department_cursors``).

Taking a turn makes the cursor if new, moves it on, and locks it for the rest
of the transaction, in one statement: replicas assigning in one department take
turns, and each counts open issues only once the one before it has committed
its choice. Once a transaction holds a department's cursor, nobody else can move
it until the commit, so later turns in the same transaction (a consumer's unit
of work of many assignments) are counted here and the cursor is written once,
before the commit. Inside a savepoint every turn goes to the database at once,
as its rollback must take the turn back with it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from baton_runtime import rows
from baton_runtime.db import dialect, upsert_for
from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import DepartmentCursor

_CURSORS = DepartmentCursor.__table__  # type: ignore[attr-defined]
_MOVE_BY = (
    update(_CURSORS)
    .where(_CURSORS.c.department == bindparam("key"))
    .values(next_index=_CURSORS.c.next_index + bindparam("by"))
)
# A session's cursors held (locked) by its transaction: department -> Held.
_HELD = "baton_ownership_cursors_held"


@dataclass
class Held:
    written: int  # next_index as the database has it
    next_index: int  # as this transaction's turns have moved it


@cache
def _take_statement(dialect: str) -> Any:
    return (
        upsert_for(dialect, _CURSORS)
        .values(department=bindparam("key"), next_index=1)
        .on_conflict_do_update(
            index_elements=[_CURSORS.c.department],
            set_={"next_index": _CURSORS.c.next_index + 1},
        )
        .returning(_CURSORS.c.next_index)
    )


def _scalar(result: Any) -> Any:
    return result.scalar_one()


def _held(session: AsyncSession, department: str) -> Held | None:
    """The department's cursor as this transaction holds it; None inside a savepoint."""
    sync = session.sync_session
    if sync.get_nested_transaction() is not None:
        return None
    return sync.info.get(_HELD, {}).get(department)


async def take(session: AsyncSession, department: str) -> int:
    """The department's turn (0, 1, 2, ...), taken."""
    held = _held(session, department)
    if held is not None:
        held.next_index += 1
        return held.next_index - 1
    params = {"key": department}
    taken = int(await rows.run(session, _take_statement(dialect(session)), params, _scalar))
    sync = session.sync_session
    if sync.get_nested_transaction() is None:
        sync.info.setdefault(_HELD, {})[department] = Held(written=taken, next_index=taken)
    return taken - 1


async def give_back(session: AsyncSession, department: str) -> None:
    """No liaison took the turn (the head holds the issue, or it had an owner)."""
    held = _held(session, department)
    if held is not None:
        held.next_index -= 1
        return
    params = {"key": department, "by": -1}
    await rows.execute(session, _MOVE_BY, params)


def _write(session: Session, connection: Connection) -> None:
    held: dict[str, Held] = session.info.pop(_HELD, {})
    for department, cursor in held.items():
        if cursor.next_index != cursor.written:
            by = cursor.next_index - cursor.written
            connection.execute(_MOVE_BY, {"key": department, "by": by})


# The turns counted so far are written before the commit, and before a savepoint
# (inside it, each turn is a statement of its own).
rows.held_until_commit(_HELD, _write)
