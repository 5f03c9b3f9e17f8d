"""Following the work that lands on people: each issue a person receives (an
interrupt, within the department's working hours or not), and each internal
customer's request from routing to resolution, with its working times."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from baton_contracts import IssueRouted, OwnerAssigned
from baton_runtime import rows
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.state import Change, Issue, aware
from baton_ownership.core.store import Ctx
from baton_ownership.directory.hours import Hours, hours_of
from baton_ownership.workload import metrics
from baton_ownership.workload.models import InternalRequest, ReceivedIssue

_RECEIVED = ReceivedIssue.__table__  # type: ignore[attr-defined]


async def received(
    ctx: Ctx, issue: Issue, *, via: str, at: datetime, hours: Hours | None = None
) -> None:
    """``issue``'s owner has just received it (``hours``: its department's, if at hand)."""
    hours = hours or await hours_of(ctx.session, issue.department)
    inside = hours.working(at)
    rows.stage(ctx.session, _RECEIVED, {
        "issue_id": issue.issue_id, "department": issue.department,
        "person_id": issue.owner_id, "via": via, "at": at, "working_hours": inside,
    })  # fmt: skip
    ctx.on_commit(partial(metrics.received, issue.department, inside, via))


def opened(session: AsyncSession, routed: IssueRouted, *, at: datetime) -> InternalRequest | None:
    """An internal customer's request reached its first department (None: not one)."""
    if not routed.internal:
        return None
    request = InternalRequest(
        issue_id=routed.issue_id, requester_id=routed.requester_id,
        requester_department=routed.requester_department, department=routed.department,
        routed_at=at,
    )  # fmt: skip
    session.add(request)
    return request


def _working_minutes(hours: Hours, start: datetime, end: datetime) -> float:
    span = (
        hours.calendar.between(start, end)
        if hours.calendar is not None
        else aware(end) - aware(start)
    )
    return round(span.total_seconds() / 60, 2)


async def follow(ctx: Ctx, change: Change) -> None:
    """What a change applied means for the people receiving work and for an
    internal requester: call it after ``store.apply``."""
    for event in change.events:
        if isinstance(event, OwnerAssigned):
            await received(ctx, change.after, via=event.via, at=change.at)
    request = await ctx.session.get(InternalRequest, change.after.issue_id)
    if request is None:
        return
    request.department = change.after.department
    hours = await hours_of(ctx.session, change.after.department)
    if change.action in ("acknowledge", "handoff_accepted") and request.acknowledged_at is None:
        request.acknowledged_at = change.at
        request.acknowledge_working_minutes = _working_minutes(hours, request.routed_at, change.at)
    elif change.action == "resolve":
        request.resolved_at = change.at
        request.resolve_working_minutes = _working_minutes(hours, request.routed_at, change.at)
    elif change.action == "reopen":
        request.resolved_at, request.resolve_working_minutes = None, None
    ctx.session.add(request)
