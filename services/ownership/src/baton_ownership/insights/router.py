from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.problems import Problem
from baton_runtime.query import Moment
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Query

from baton_ownership.deps import ClockDep
from baton_ownership.insights import service
from baton_ownership.insights.schemas import Scorecard, Stall

router = APIRouter(tags=["insights"])


@router.get("/v1/stalls", **allow("reader"), response_model=list[Stall])
async def list_stalls(
    session: SessionDep,
    clock: ClockDep,
    department: Annotated[str | None, Query(max_length=64)] = None,
    min_age_minutes: Annotated[float, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Stall]:
    """Open issues, longest in their current department first: owner, age, hand-offs,
    and the next deadline (overdue or not, and how far it has escalated)."""
    return await service.stalls(
        session=session,
        now=clock(),
        department=department,
        min_age_minutes=min_age_minutes,
        limit=limit,
    )


@router.get("/v1/departments/{department}/scorecard", **allow("reader"), response_model=Scorecard)
async def department_scorecard(
    department: str,
    session: SessionDep,
    clock: ClockDep,
    since: Moment = None,
    until: Moment = None,
) -> Scorecard:
    """How the department answered over a period (default: the last 30 days)."""
    since, until = _period(since, until, clock())
    return await service.scorecard(session=session, department=department, since=since, until=until)


def _period(
    since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The period asked for, in UTC, or a 422 saying what to change."""
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        raise Problem(
            422,
            "Give since and until with a time zone, e.g. 2026-11-01T00:00:00Z.",
            title="Ambiguous time",
        )
    try:
        until = (until or now).astimezone(UTC)
        since = (since or until - timedelta(days=30)).astimezone(UTC)
    except OverflowError:
        # A time zone, or the default 30 days, took the date past year 1 or 9999.
        raise Problem(
            422,
            "Give since and until between the years 1 and 9999 in UTC (until at least "
            "30 days after year 1 when since is not given).",
            title="Period out of range",
        ) from None
    if since >= until:
        raise Problem(422, "since must be before until.", title="Empty period")
    return since, until
