from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.query import Moment, period
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
    since, until = period(since, until, clock())
    return await service.scorecard(session=session, department=department, since=since, until=until)
