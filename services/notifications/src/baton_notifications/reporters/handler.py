"""On ``IssueReported``: remember an employee reporter; customers are intake's to tell."""

from __future__ import annotations

from baton_contracts import Envelope, IssueReported
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.reporters.models import InternalReporter
from baton_notifications.settings import Settings


async def on_issue_reported(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    event = envelope.payload()
    if not isinstance(event, IssueReported) or event.reporter.kind != "employee":
        return

    async def effect(session: AsyncSession) -> None:
        if await session.get(InternalReporter, event.issue_id) is None:
            session.add(
                InternalReporter(
                    issue_id=event.issue_id,
                    reporter_id=event.reporter.id,
                    department=event.reporter.department,
                )
            )

    await handle_once(runtime.db, envelope.id, effect)
