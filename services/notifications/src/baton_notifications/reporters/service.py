"""Remembering the employees whom only staff channels reach."""

from __future__ import annotations

from baton_contracts import IssueReported
from baton_runtime.db import upsert
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.reporters.models import InternalReporter


async def remember(session: AsyncSession, reported: IssueReported) -> None:
    """An employee intake cannot answer (no address, no connector) is told here at
    resolution; customers, and everyone intake can reach, are intake's to tell."""
    reporter = reported.reporter
    if reporter.kind != "employee" or reporter.reachable:
        return
    # The first report of the issue names them; a second says nothing new.
    stmt = upsert(session, InternalReporter).values(
        issue_id=reported.issue_id, reporter_id=reporter.id, department=reporter.department
    )
    await session.exec(stmt.on_conflict_do_nothing(index_elements=["issue_id"]))
