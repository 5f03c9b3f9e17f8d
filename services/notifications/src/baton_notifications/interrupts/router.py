from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.query import Moment, period
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
    since, until = period(since, until, datetime.now(UTC))
    return await service.load(session=session, department=department, since=since, until=until)
