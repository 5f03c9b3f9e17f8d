"""Rosters a transaction has found as kept, so that later events in the same
transaction (a consumer's unit of work of many ``IssueRouted``) need not read
them again.

Every routed issue carries its department's roster as routing saw it, and
``upsert_department`` makes the directory match it: one UPDATE of the
department's policy row (newer rosters only; it also locks the row) and one read
of its members, which nearly always shows them as the roster says. Once a
transaction has done that for a department, it holds the row's lock until it
commits, and nobody else can change the roster meanwhile. So a later roster for
that department in the same transaction, naming the same people, would find the
same members and the same policy, and is answered from here: its ``roster_at``
is counted here and written once, before the commit (or before a savepoint, or
before the next roster for that department that is not answered from here).

What is held is dropped when the transaction ends, and not trusted once the
session writes a member or a policy (by a flush, or by an ORM statement:
``rows.on_writes_to``). Inside a savepoint nothing is answered from here (its
rollback must be able to take its rosters back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from baton_runtime import rows
from sqlalchemy import bindparam, or_, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.directory.hours import Hours
from baton_ownership.directory.models import DepartmentPolicy, Member

# A session's rosters held by its transaction: department -> Held.
_HELD = "baton_ownership_rosters_held"
_POLICY = DepartmentPolicy.__table__  # type: ignore[attr-defined]
_MOVE_ROSTER_AT = (
    update(_POLICY)
    .where(
        _POLICY.c.department == bindparam("key"),
        or_(_POLICY.c.roster_at.is_(None), _POLICY.c.roster_at <= bindparam("as_of")),
    )
    .values(roster_at=bindparam("as_of"))
)

# Who the roster names, as compared with the members kept: person -> (role, name, email).
Names = dict[str, tuple[str, str, str]]


@dataclass
class Held:
    names: Names
    hours: Hours
    members: list[Any] | None  # None: no longer trusted (a flush changed the directory)
    written: datetime  # roster_at as the database has it
    as_of: datetime  # roster_at as this transaction's rosters have moved it


def _outer(session: AsyncSession) -> dict[str, Held] | None:
    """The rosters held, or None inside a savepoint."""
    sync = session.sync_session
    if sync.get_nested_transaction() is not None:
        return None
    held: dict[str, Held] = sync.info.setdefault(_HELD, {})
    return held


def answer(
    session: AsyncSession, department: str, names: Names, as_of: datetime
) -> tuple[bool, Hours, list[Any] | None] | None:
    """What ``upsert_department`` would find, from what this transaction holds:
    (applied, hours, members), or None when it must ask the database."""
    held = _outer(session)
    found = held.get(department) if held is not None else None
    if found is None or found.members is None or found.names != names:
        return None
    if as_of < found.as_of:
        # Older than the roster applied last: not applied, and the members are those
        # the newer one left (what the caller would otherwise read).
        return False, found.hours, found.members
    found.as_of = as_of
    return True, found.hours, found.members


def keep(
    session: AsyncSession,
    department: str,
    names: Names,
    as_of: datetime,
    hours: Hours,
    members: list[Any],
) -> None:
    """The roster was applied, ``as_of`` written, and the members found as it says."""
    held = _outer(session)
    if held is not None:
        held[department] = Held(names, hours, members, written=as_of, as_of=as_of)


async def let_go(session: AsyncSession, department: str) -> None:
    """Before the database is asked about ``department``: what was counted here
    for it goes there first, and nothing more is answered from here for it."""
    found = session.sync_session.info.get(_HELD, {}).pop(department, None)
    if found is not None and found.as_of != found.written:
        await rows.execute(session, _MOVE_ROSTER_AT, {"key": department, "as_of": found.as_of})


def _write(session: Session, connection: Connection) -> None:
    held: dict[str, Held] = session.info.pop(_HELD, {})
    for department, found in held.items():
        if found.as_of != found.written:
            connection.execute(_MOVE_ROSTER_AT, {"key": department, "as_of": found.as_of})


rows.held_until_commit(_HELD, _write)


def _distrust(session: Session) -> None:
    for found in session.info.get(_HELD, {}).values():
        found.members = None  # asked of the database again; roster_at still written


rows.on_writes_to(_HELD, (Member, DepartmentPolicy), _distrust)
