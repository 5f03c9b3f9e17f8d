"""The scorecard's view of the work landing on a department: its interrupt load
(issues received within and outside working hours, per person too) and the
internal customers' requests it served and made, with their times."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.state import aware
from baton_ownership.directory.hours import hours_of
from baton_ownership.insights import query
from baton_ownership.insights.query import Condition, during
from baton_ownership.insights.schemas import (
    Durations,
    InternalRequests,
    Interrupts,
    PairRequests,
    PersonInterrupts,
)
from baton_ownership.workload.models import InternalRequest, ReceivedIssue


def _rate(count: int, hours: float) -> float | None:
    return round(count / hours, 3) if hours > 0 else None


async def interrupts(
    session: AsyncSession, *, department: str, since: datetime, until: datetime
) -> Interrupts:
    calendar = (await hours_of(session, department)).calendar
    working = calendar.between(since, until) if calendar else until - since
    outside = (until - since) - working
    working_h, outside_h = working / timedelta(hours=1), outside / timedelta(hours=1)
    rows = await query.rows(
        session,
        ReceivedIssue,
        ReceivedIssue.department == department,
        *during(ReceivedIssue.at, since, until),
    )
    within = Counter(r.person_id for r in rows if r.working_hours)
    beyond = Counter(r.person_id for r in rows if not r.working_hours)
    people = [
        PersonInterrupts(
            person_id=person, issues_within_working_hours=within[person],
            issues_outside_working_hours=beyond[person],
            issues_per_working_hour=_rate(within[person], working_h),
        )
        for person in sorted(set(within) | set(beyond))
    ]  # fmt: skip
    return Interrupts(
        working_hours=round(working_h, 2),
        hours_outside_working_hours=round(outside_h, 2),
        issues_within_working_hours=sum(within.values()),
        issues_outside_working_hours=sum(beyond.values()),
        issues_per_working_hour=_rate(sum(within.values()), working_h),
        issues_per_hour_outside_working_hours=_rate(sum(beyond.values()), outside_h),
        people=people,
    )


def _met(request: InternalRequest, now: datetime) -> bool | None:
    """Whether every target of the request was met (None: it had none)."""
    pairs = [
        (request.acknowledge_due_at, request.acknowledged_at),
        (request.resolve_due_at, request.resolved_at),
    ]
    judged = [(aware(due), done) for due, done in pairs if due is not None]
    if not judged:
        return None
    if any((aware(done) if done else now) > due for due, done in judged):
        return False
    return True if all(done is not None for _, done in judged) else None


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (aware(end) - aware(start)).total_seconds() / 60


def summarise(
    rows: list[InternalRequest], *, other: str, until: datetime, durations
) -> InternalRequests:  # type: ignore[no-untyped-def]
    """``other``: the field naming the other department of each pair."""

    def of(values: list[float | None]) -> Durations:
        return durations([v for v in values if v is not None])

    met = [_met(r, until) for r in rows]
    groups: dict[str | None, list[InternalRequest]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, other)].append(row)
    return InternalRequests(
        count=len(rows),
        resolved=sum(1 for r in rows if r.resolved_at is not None),
        time_to_acknowledge=of([_minutes(r.routed_at, r.acknowledged_at) for r in rows]),
        working_time_to_acknowledge=of([r.acknowledge_working_minutes for r in rows]),
        time_to_resolve=of([_minutes(r.routed_at, r.resolved_at) for r in rows]),
        working_time_to_resolve=of([r.resolve_working_minutes for r in rows]),
        targets_met=met.count(True),
        targets_missed=met.count(False),
        by_department=[
            PairRequests(
                department=name, count=len(group),
                resolved=sum(1 for r in group if r.resolved_at is not None),
                median_working_minutes_to_resolve=of(
                    [r.resolve_working_minutes for r in group]
                ).median_minutes,
            )
            for name, group in sorted(groups.items(), key=lambda kv: kv[0] or "")
        ],
    )  # fmt: skip


async def internal_requests(
    session: AsyncSession, *, department: str, since: datetime, until: datetime, durations
) -> tuple[InternalRequests, InternalRequests]:  # type: ignore[no-untyped-def]
    """(served by the department, made by its people), routed within the period."""

    async def routed(where: Condition) -> list[InternalRequest]:
        window = during(InternalRequest.routed_at, since, until)
        return list(await query.rows(session, InternalRequest, where, *window))

    served = await routed(InternalRequest.department == department)
    made = await routed(InternalRequest.requester_department == department)
    return (
        summarise(served, other="requester_department", until=until, durations=durations),
        summarise(made, other="department", until=until, durations=durations),
    )
