from __future__ import annotations

from baton_contracts import IssueReported
from baton_runtime.db import upsert
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.issues.models import RoutedIssue


async def keep(*, session: AsyncSession, issue: IssueReported) -> None:
    """Keep the issue as reported (again: the latest report wins). One upsert, where
    ``merge`` read the row first."""
    reported = issue.model_dump_json()
    await session.exec(
        upsert(session, RoutedIssue)
        .values(issue_id=issue.issue_id, reported=reported)
        .on_conflict_do_update(index_elements=["issue_id"], set_={"reported": reported})
    )


async def reported(*, session: AsyncSession, issue_id: str) -> IssueReported | None:
    """The issue as it was reported, or None when routing never routed it."""
    stored = await session.get(RoutedIssue, issue_id)
    return None if stored is None else IssueReported.model_validate_json(stored.reported)
