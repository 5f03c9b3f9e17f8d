from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.problems import Problem
from baton_runtime.query import Moment
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Query

from baton_notifications.interrupts import service
from baton_notifications.interrupts.schemas import NoticeLoad

router = APIRouter(prefix="/v1/interrupts", tags=["interrupts"])


@router.get("", **allow("reader"), response_model=NoticeLoad)
async def notice_load(
    session: SessionDep,
    department: Annotated[str, Query(max_length=64)],
    since: Moment = None,
    until: Moment = None,
) -> NoticeLoad:
    """Notices that reached the department's people within and outside their working
    hours, per working hour, per person too (default: the last 30 days). Issues
    received are on ownership's scorecard."""
    until = until or datetime.now(UTC)
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise Problem(422, "Give since and until with a time zone, e.g. 2026-11-01T00:00:00Z.",
                      title="Ambiguous time")  # fmt: skip
    if since >= until:
        raise Problem(422, "since must be before until.", title="Empty period")
    return await service.load(session=session, department=department, since=since, until=until)
