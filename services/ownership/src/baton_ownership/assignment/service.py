"""Assigning an owner: the available liaison with the fewest open issues,
round-robin among equals; the department head holds the issue when no liaison
is available, until one is (``drain``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

from baton_runtime import rows
from baton_runtime.db import dialect, upsert_for
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import turns
from baton_ownership.core import store, transitions
from baton_ownership.core.errors import NotFound, NotYours
from baton_ownership.core.models import HistoryEntry, IssueOwner
from baton_ownership.core.state import Issue, Seat, utcnow
from baton_ownership.core.store import Ctx
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import Member
from baton_ownership.workload import service as workload

# Who acts when an issue is first assigned: the routing decision, through ownership.
ROUTING = "baton-routing"


async def pick(
    *, session: AsyncSession, department: str, members: list[Any] | None = None
) -> Seat | None:
    """The next owner in ``department``: a liaison, else its head (none free).
    Capacity is counted under the department's cursor lock, so two replicas
    cannot both give the last free place away. ``members``: the department's
    members as the caller just read them."""
    turn = await turns.take(session, department)
    available = await directory.available_liaisons(
        session=session, department=department, members=members
    )
    if available:
        fewest = min(count for _, count in available)
        equals = [m for m, count in available if count == fewest]
        return directory.seat(equals[turn % len(equals)])
    await turns.give_back(session, department)
    if members is not None:
        head = next((m for m in members if m.role == "head" and m.active), None)
    else:
        head = await directory.head_of(session=session, department=department)
    return directory.seat(head) if head is not None else None


_HISTORY = HistoryEntry.__table__  # type: ignore[attr-defined]


@cache
def _new_issue_statement(dialect: str) -> Any:
    """An issue's row, unless it has one (say, routed a second time)."""
    table = IssueOwner.__table__  # type: ignore[attr-defined]
    return upsert_for(dialect, table).on_conflict_do_nothing(index_elements=[table.c.issue_id])


async def assign(
    *,
    session: AsyncSession,
    issue_id: str,
    department: str,
    priority: str = "normal",
    now: datetime | None = None,
    trace_context: dict[str, Any] | None = None,
    decision: dict[str, Any] | None = None,
    to: Seat | None = None,
    members: list[Any] | None = None,
) -> Issue | None:
    """Give a newly routed issue its owner (``to``, say the person on call, else
    the pick of the department's liaisons); None when it already has one. The
    assignment is the first entry of the issue's history: to whom, in which
    department, and by which routing ``decision`` (its rule and reason)."""
    seat = to or await pick(session=session, department=department, members=members)
    if seat is None:
        if await session.get(IssueOwner, issue_id) is not None:
            return None
        raise LookupError(f"department {department!r} has neither liaisons nor a head")
    issue = transitions.assign(
        issue_id=issue_id, department=department, to=seat, priority=priority, now=now or utcnow()
    )
    if to is not None:  # chosen, not held for want of a free liaison
        issue = replace(issue, held_by_head=False)
    # The primary key says whether the issue had an owner already: one statement,
    # not a read before the write (an issue is routed again far less often than once).
    row = {name: getattr(issue, name) for name in store.COLUMNS}
    row["trace_context"] = trace_context or {}
    statement = _new_issue_statement(dialect(session))
    written = await rows.run(session, statement, row, lambda result: result.rowcount)
    if written != 1:
        if to is None and seat.role == "liaison":
            await turns.give_back(session, department)
        return None
    rows.stage(session, _HISTORY, {
        "issue_id": issue_id, "action": "assigned", "actor_id": ROUTING,
        "department": department, "owner_id": issue.owner_id, "version": issue.version,
        "at": issue.assigned_at,
        "details": {"held_by_head": issue.held_by_head, **(decision or {})},
    })  # fmt: skip
    return issue


async def held_by_head(*, session: AsyncSession, department: str) -> list[str]:
    """Issues the head holds for want of a liaison, oldest first."""
    return list(
        (
            await session.exec(
                select(IssueOwner.issue_id)
                .where(
                    IssueOwner.department == department,
                    IssueOwner.held_by_head == True,  # noqa: E712
                    IssueOwner.state != "resolved",
                )
                .order_by(IssueOwner.assigned_at)  # type: ignore[arg-type]
            )
        ).all()
    )


async def drain(ctx: Ctx, *, department: str) -> list[Issue]:
    """Hand issues the head holds for want of a liaison to liaisons now free, oldest first."""
    moved = []
    for issue_id in await held_by_head(session=ctx.session, department=department):
        issue = await store.load(ctx, issue_id)
        if issue.pending is not None:
            continue
        seat = await pick(session=ctx.session, department=department)
        if seat is None or seat.role == "head":
            break  # nobody but the head is free
        change = transitions.rebalance(issue, to=seat, actor_id=ctx.actor_id, now=ctx.clock())
        moved.append(await store.apply(ctx, change))
        await workload.follow(ctx, change)
    return moved


async def set_availability(
    ctx: Ctx, *, department: str, person_id: str, on_duty: bool | None, capacity: int | None
) -> Member:
    """Go on duty or away, or change capacity (oneself, or the department head);
    issues the head held move to liaisons who are now free."""
    session = ctx.session
    member = await directory.member(session=session, department=department, person_id=person_id)
    if member is None:
        raise NotFound(f"{person_id!r} is not in {department}.", title="Unknown member")
    if ctx.actor_id != person_id and not await directory.is_head(
        session=session, department=department, person_id=ctx.actor_id
    ):
        raise NotYours("Only the member themself or the department head may change this.")
    if on_duty is not None:
        member.on_duty = on_duty
    if capacity is not None:
        member.capacity = capacity
    session.add(member)
    await session.flush()
    await drain(ctx, department=department)
    return member


async def get(*, session: AsyncSession, issue_id: str) -> IssueOwner | None:
    return await session.get(IssueOwner, issue_id)
