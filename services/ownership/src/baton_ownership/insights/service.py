"""Where issues stall, and how each department answers: computed from stays,
hand-offs, help requests and open deadlines."""

from __future__ import annotations

import statistics
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core import store
from baton_ownership.core.models import Handoff, HelpRequest, IssueOwner
from baton_ownership.core.state import aware
from baton_ownership.deadlines import clocks
from baton_ownership.feedback.models import Rating
from baton_ownership.insights import load, query
from baton_ownership.insights.models import Stay
from baton_ownership.insights.query import during
from baton_ownership.insights.schemas import Durations, Ratings, Satisfaction, Scorecard, Stall


def durations(minutes: list[float]) -> Durations:
    if not minutes:
        return Durations(count=0, median_minutes=None, p90_minutes=None)
    ordered = sorted(minutes)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Durations(
        count=len(ordered),
        median_minutes=round(statistics.median(ordered), 2),
        p90_minutes=round(p90, 2),
    )


def ratings(scores: list[int]) -> Ratings:
    average = round(statistics.fmean(scores), 2) if scores else None
    return Ratings(count=len(scores), average=average)


async def satisfaction(
    *, session: AsyncSession, department: str, since: datetime, until: datetime
) -> Satisfaction:
    rated = await query.rows(
        session, Rating, Rating.department == department, *during(Rating.rated_at, since, until)
    )
    people: dict[str, list[int]] = {}
    for row in rated:
        people.setdefault(row.owner_id, []).append(row.rating)
    overall = ratings([r.rating for r in rated])
    return Satisfaction(
        **overall.model_dump(), by_owner={p: ratings(s) for p, s in sorted(people.items())}
    )


def _minutes(start: datetime, end: datetime) -> float:
    return (aware(end) - aware(start)).total_seconds() / 60


async def scorecard(
    *, session: AsyncSession, department: str, since: datetime, until: datetime
) -> Scorecard:
    mine = Stay.department == department
    stays = await query.rows(session, Stay, mine, *during(Stay.started_at, since, until))
    ended = await query.rows(session, Stay, mine, *during(Stay.ended_at, since, until))
    declines = await query.count(
        session,
        Handoff,
        Handoff.to_department == department,
        Handoff.status == "declined",
        *during(Handoff.decided_at, since, until),
    )
    helping = HelpRequest.helping_department == department
    answered = await query.rows(
        session,
        HelpRequest,
        helping,
        HelpRequest.status == "answered",
        *during(HelpRequest.answered_at, since, until),
    )
    overdue_open = await query.count(
        session, HelpRequest, helping, HelpRequest.status == "open", HelpRequest.due_at < until
    )
    served, made = await load.internal_requests(
        session, department=department, since=since, until=until, durations=durations
    )
    return Scorecard(
        interrupts=await load.interrupts(session, department=department, since=since, until=until),
        internal_requests_served=served,
        internal_requests_made=made,
        department=department,
        since=since,
        until=until,
        time_to_acknowledge=durations(
            [
                _minutes(s.started_at, s.acknowledged_at)
                for s in stays
                if s.acknowledged_at is not None and s.via == "routing"
            ]
        ),
        time_to_resolve=durations(
            [
                _minutes(s.started_at, s.ended_at)
                for s in ended
                if s.outcome == "resolved" and s.ended_at is not None
            ]
        ),
        handoffs_in=sum(1 for s in stays if s.via == "handoff"),
        handoffs_out=sum(1 for s in ended if s.outcome == "handed_off"),
        declines=declines,
        help_requests_answered=len(answered),
        help_requests_answered_on_time=sum(
            1
            for h in answered
            if h.answered_at is not None and aware(h.answered_at) <= aware(h.due_at)
        ),
        help_requests_overdue_open=overdue_open,
        satisfaction=await satisfaction(
            session=session, department=department, since=since, until=until
        ),
    )


async def stalls(
    *,
    session: AsyncSession,
    now: datetime,
    department: str | None = None,
    min_age_minutes: float = 0,
    limit: int = 100,
) -> list[Stall]:
    """Open issues, longest in their current department first."""
    unresolved = select(IssueOwner).where(IssueOwner.state != "resolved")
    if department is not None:
        unresolved = unresolved.where(IssueOwner.department == department)
    issues = (await session.exec(unresolved.order_by(IssueOwner.department_since))).all()  # type: ignore[arg-type]
    result = []
    for issue in issues:
        age = _minutes(issue.department_since, now)
        if age < min_age_minutes:
            continue
        running = await clocks.running(session, issue.issue_id)
        next_deadline = running[0] if running else None
        pending = await store.pending_handoff(session, issue.issue_id)
        handoffs = await query.count(
            session, Handoff, Handoff.issue_id == issue.issue_id, Handoff.status == "accepted"
        )
        result.append(
            Stall(
                issue_id=issue.issue_id,
                department=issue.department,
                owner_id=issue.owner_id,
                state=issue.state,
                age_minutes=round(age, 1),
                handoffs=handoffs,
                pending_handoff_to=pending.to_department if pending else None,
                next_deadline=next_deadline.kind if next_deadline else None,
                next_due_at=next_deadline.due_at if next_deadline else None,
                overdue=bool(next_deadline and aware(next_deadline.due_at) <= now),
                escalation_level=next_deadline.level if next_deadline else 0,
            )
        )
        if len(result) >= limit:
            break
    return result
