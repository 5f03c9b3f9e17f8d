"""On call: an urgent issue outside its department's working hours goes to the
person on call in the first layer, who becomes its one owner; when they do not
acknowledge in time, the next layer's person takes it over, and so on. After
the last layer the department's chain goes on (its head, then the head of
customer service); a backup liaison is not woken."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core import store, transitions
from baton_ownership.core.state import Issue, Seat
from baton_ownership.core.store import Ctx
from baton_ownership.deadlines import clocks
from baton_ownership.deadlines.models import Deadline
from baton_ownership.directory import service as directory
from baton_ownership.directory.hours import Hours, hours_of
from baton_ownership.directory.models import Member
from baton_ownership.workload import service as workload


async def _seat(session: AsyncSession, department: str, person_id: str) -> Seat | None:
    member = await directory.member(session=session, department=department, person_id=person_id)
    return directory.seat(member) if member is not None else None


async def first_owner(
    session: AsyncSession, *, department: str, priority: str, now: datetime,
    hours: Hours | None = None, members: list[Member] | None = None,
) -> tuple[Seat, int] | None:  # fmt: skip
    """The on-call person for a newly routed issue, and their layer (1 = first);
    None within working hours, for other priorities, or without a schedule.
    ``hours`` and ``members``: the department's, as the caller just read them."""
    if priority != "urgent":
        return None
    hours = hours or await hours_of(session, department)
    if hours.working(now):
        return None
    active = {m.person_id: m for m in members or [] if m.active}
    for layer, person_id in enumerate(hours.on_call(now), start=1):
        if members is not None:
            seat = directory.seat(active[person_id]) if person_id in active else None
        else:
            seat = await _seat(session, department, person_id)
        if seat is not None:  # someone the catalog no longer lists: the next layer
            return seat, layer
    return None


async def call_next_layer(
    ctx: Ctx, deadline: Deadline, issue: Issue, *, reason: str | None = None
) -> bool:
    """Give the issue to the next layer's person on call; False when no layer is left."""
    assert deadline.on_call_layer is not None
    now = ctx.clock()
    people = (await hours_of(ctx.session, deadline.department)).on_call(now)
    for layer in range(deadline.on_call_layer + 1, len(people) + 1):
        seat = await _seat(ctx.session, deadline.department, people[layer - 1])
        if seat is None or seat.person.id == issue.owner_id:
            continue
        change = transitions.escalate(
            issue, to=seat, moved=True, reason=reason or "acknowledge_overdue", level=layer,
            due_at=deadline.due_at, actor_id=ctx.actor_id, now=now, on_call_layer=layer,
            acknowledge_due_at=clocks.on_call_due(ctx.settings, now),
        )  # fmt: skip
        called = await store.apply(ctx, change)
        await workload.follow(ctx, change)
        # The called layer's own clock, announced at the escalation's version.
        await clocks.start_on_call(
            ctx.session, deadline, called, settings=ctx.settings, now=now, layer=layer
        )
        return True
    return False
