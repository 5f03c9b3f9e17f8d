"""The department directory: kept in step with routing's catalog, plus each
member's availability and capacity, which only ownership knows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from baton_contracts import Calendar, InternalTarget, OnCall, Person
from baton_runtime import rows
from sqlalchemy import bindparam, literal_column, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.models import IssueOwner
from baton_ownership.core.state import Actor, Department, Seat, utcnow
from baton_ownership.directory import rosters
from baton_ownership.directory.hours import Hours, hours_from
from baton_ownership.directory.models import DepartmentPolicy, Member


@dataclass(frozen=True)
class Roster:
    """What ``upsert_department`` found: whether the roster was applied, the
    department's hours, and (when applied, or when this transaction already knows
    them) all its members as now written: rows with ``Member``'s columns when the
    roster was as kept, else ``Member`` objects; None: not read."""

    applied: bool
    hours: Hours
    members: list[Any] | None = None


@cache
def _newer_policy_statement(names: tuple[str, ...]) -> Any:
    """``_newer_policy``'s UPDATE for these columns, built once."""
    policy = DepartmentPolicy.__table__  # type: ignore[attr-defined]
    return (
        update(policy)
        .where(
            policy.c.department == bindparam("key"),
            or_(policy.c.roster_at.is_(None), policy.c.roster_at <= bindparam("as_of")),
        )
        .values({name: bindparam(f"new_{name}", type_=policy.c[name].type) for name in names})
        .returning(*policy.c)
    )


async def _newer_policy(
    session: AsyncSession, department: str, values: dict[str, Any]
) -> Any | None:
    """Write ``values`` (``roster_at`` among them) unless the roster kept is newer, in
    one statement that locks the row and returns it as written; None: not written."""
    statement = _newer_policy_statement(tuple(values))
    params = {"key": department, "as_of": values["roster_at"]}
    params.update({f"new_{name}": value for name, value in values.items()})
    return await rows.run(session, statement, params, lambda result: result.first())


_MEMBERS = Member.__table__  # type: ignore[attr-defined]
_READ_MEMBERS = sa_select(*_MEMBERS.c).where(_MEMBERS.c.department == bindparam("department"))


def _as_kept(members: list[Any], wanted: dict[str, tuple[Person, str]]) -> bool:
    """Whether the members as read already say what the roster says (nothing to write)."""
    if {m.person_id for m in members if m.active} != wanted.keys():
        return False
    return all(
        (m.role, m.name, m.email) == (wanted[m.person_id][1], *_contact(wanted[m.person_id][0]))
        for m in members
        if m.active
    )


def _contact(person: Person) -> tuple[str, str]:
    return person.name, person.email


async def upsert_department(
    *,
    session: AsyncSession,
    department: str,
    liaisons: list[Person],
    head: Person,
    as_of: datetime | None = None,
    policy: dict[str, Any] | None = None,
) -> Roster:
    """Make the directory match the catalog as it was at ``as_of``; availability
    and capacity are kept. A roster older than the one applied last is ignored
    (say, a routing decision made before a catalog change, delivered after it).
    ``policy``: the catalog's word on the department as a whole (``policy_values``),
    written with the roster, and only with it. Says whether it was applied, and
    what it read: the department's hours, and its members as now written (when
    applied), so the caller reads neither again."""
    values = {"roster_at": as_of or utcnow(), **(policy or {})}
    wanted = {p.id: (p, "liaison") for p in liaisons}
    wanted[head.id] = (head, "head")
    names = {i: (role, *_contact(person)) for i, (person, role) in wanted.items()}
    if policy is None:
        # The same roster again in this transaction: answered from what it found.
        known = rosters.answer(session, department, names, values["roster_at"])
        if known is not None:
            applied, hours, members = known
            return Roster(applied=applied, hours=hours, members=members)
    await rosters.let_go(session, department)
    row = await _newer_policy(session, department, values)
    if row is not None:
        # Most rosters are the one kept: read as rows, compared, and nothing written.
        kept = await rows.execute(session, _READ_MEMBERS, {"department": department})
        if _as_kept(kept, wanted):
            hours = hours_from(department, row)
            if policy is None:
                rosters.keep(session, department, names, values["roster_at"], hours, kept)
            return Roster(applied=True, hours=hours, members=kept)
    else:
        table = DepartmentPolicy.__table__  # type: ignore[attr-defined]
        row = (
            await session.exec(
                select(*table.c).where(table.c.department == department).with_for_update()
            )  # type: ignore[call-overload]
        ).first()
        if row is not None:  # a newer roster is kept: this one is not applied
            return Roster(applied=False, hours=hours_from(department, row))
        row = DepartmentPolicy(department=department, **values)
        session.add(row)
    current = {
        m.person_id: m
        for m in (await session.exec(select(Member).where(Member.department == department))).all()
    }
    for person_id, (person, role) in wanted.items():
        member = current.get(person_id) or Member(
            department=department,
            person_id=person_id,
            role=role,
            name=person.name,
            email=person.email,
        )
        member.role, member.name, member.email, member.active = (
            role,
            person.name,
            person.email,
            True,
        )
        session.add(member)
        current[person_id] = member
    for person_id, member in current.items():
        if person_id not in wanted:
            member.active = False
            session.add(member)
    await session.flush()  # nothing to send when the roster is as kept
    return Roster(applied=True, hours=hours_from(department, row), members=list(current.values()))


def policy_values(
    *,
    resolve_hours: float | None,
    calendar: Calendar | None = None,
    on_call: OnCall | None = None,
    internal_targets: list[InternalTarget] | None = None,
) -> dict[str, Any]:
    """The policy columns, as ``upsert_department`` writes them with a roster."""
    return {
        "resolve_hours": resolve_hours,
        "calendar": calendar.model_dump(mode="json") if calendar else None,
        "on_call": on_call.model_dump(mode="json") if on_call else None,
        "internal_targets": [t.model_dump(mode="json") for t in internal_targets or []],
    }


async def member(*, session: AsyncSession, department: str, person_id: str) -> Member | None:
    found = await session.get(Member, (department, person_id))
    return found if found is not None and found.active else None


async def head_of(*, session: AsyncSession, department: str) -> Member | None:
    return (
        await session.exec(
            select(Member).where(
                Member.department == department, Member.role == "head", col(Member.active)
            )
        )
    ).first()


async def is_head(*, session: AsyncSession, department: str, person_id: str) -> bool:
    found = await member(session=session, department=department, person_id=person_id)
    return found is not None and found.role == "head"


def seat(member: Member) -> Seat:
    return Seat(
        department=member.department,
        role=member.role,  # type: ignore[arg-type]
        person=Person(id=member.person_id, name=member.name, email=member.email),
    )


async def actor(*, session: AsyncSession, person_id: str) -> Actor:
    """Who acts, with their seats in every department that lists them. The seats
    are read with a share lock: a directory change that would take one away waits
    for this transaction, so what was checked still holds when the change is written."""
    rows = await session.exec(
        select(Member)
        .where(Member.person_id == person_id, col(Member.active))
        .with_for_update(read=True)
    )
    return Actor(id=person_id, seats={m.department: seat(m) for m in rows.all()})


async def roster(*, session: AsyncSession, department: str) -> Department:
    """The department's active members (none for one the catalog never named)."""
    rows = await session.exec(
        select(Member).where(Member.department == department, col(Member.active))
    )
    roles = {m.person_id: m.role for m in rows.all()}
    return Department(name=department, roles=roles)  # type: ignore[arg-type]


_ISSUES = IssueOwner.__table__  # type: ignore[attr-defined]
# Written in the statement, not bound: the open issues' partial index then serves
# a prepared statement's generic plan too.
_RESOLVED = literal_column("'resolved'")
_OPEN_ISSUE_COUNTS = (
    sa_select(_ISSUES.c.owner_id, func.count())
    .where(_ISSUES.c.department == bindparam("department"), _ISSUES.c.state != _RESOLVED)
    .group_by(_ISSUES.c.owner_id)
)


async def open_issue_counts(*, session: AsyncSession, department: str) -> dict[str, int]:
    params = {"department": department}
    return {owner: n for owner, n in await rows.execute(session, _OPEN_ISSUE_COUNTS, params)}


async def available_liaisons(
    *, session: AsyncSession, department: str, members: list[Any] | None = None
) -> list[tuple[Any, int]]:
    """On-duty liaisons below capacity, with their open issue counts, in a stable
    order; ``members``: the department's members as just read (not read again)."""
    counts = await open_issue_counts(session=session, department=department)
    if members is None:
        members = list(
            (
                await session.exec(
                    select(Member).where(
                        Member.department == department,
                        Member.role == "liaison",
                        col(Member.active),
                        col(Member.on_duty),
                    )
                )
            ).all()
        )
    # Sorted here, not by the database: the same order on SQLite and PostgreSQL,
    # whichever way the members were read.
    free = [
        m
        for m in members
        if m.role == "liaison" and m.active and m.on_duty
        and counts.get(m.person_id, 0) < m.capacity
    ]  # fmt: skip
    return [(m, counts.get(m.person_id, 0)) for m in sorted(free, key=lambda m: m.person_id)]


async def members(*, session: AsyncSession, department: str) -> list[tuple[Member, int]]:
    counts = await open_issue_counts(session=session, department=department)
    rows = (
        await session.exec(
            select(Member).where(Member.department == department).order_by(Member.person_id)
        )
    ).all()
    return [(m, counts.get(m.person_id, 0)) for m in rows]
