"""Opening and closing an issue's stay in a department."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import IssueOwner
from baton_ownership.insights.models import Stay


def begin(
    session: AsyncSession, issue: IssueOwner, *, via: str, at: datetime, acknowledged: bool = False
) -> None:
    session.add(
        Stay(
            issue_id=issue.issue_id,
            department=issue.department,
            hop=issue.hop,
            via=via,
            started_at=at,
            acknowledged_at=at if acknowledged else None,
        )
    )


async def current(session: AsyncSession, issue_id: str) -> Stay | None:
    return (
        await session.exec(
            select(Stay)
            .where(Stay.issue_id == issue_id, Stay.ended_at == None)  # noqa: E711
            .order_by(Stay.id.desc())  # type: ignore[union-attr]
        )
    ).first()


async def acknowledged(session: AsyncSession, issue_id: str, at: datetime) -> None:
    stay = await current(session, issue_id)
    if stay is not None and stay.acknowledged_at is None:
        stay.acknowledged_at = at
        session.add(stay)


async def end(session: AsyncSession, issue_id: str, *, at: datetime, outcome: str) -> None:
    stay = await current(session, issue_id)
    if stay is not None:
        stay.ended_at, stay.outcome = at, outcome
        session.add(stay)
