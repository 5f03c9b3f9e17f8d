"""What intake learns back from ownership: whether an issue it took in is
resolved. A near-duplicate links only to an issue still open."""

from __future__ import annotations

from baton_contracts import Envelope, IssueReopened, IssueResolved
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues.models import Issue
from baton_intake.settings import Settings


async def on_ownership_event(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    """``IssueResolved`` marks the issue resolved, ``IssueReopened`` open again.
    Both come on the issue's partition, so in the order they happened."""
    change = envelope.payload()
    if not isinstance(change, IssueResolved | IssueReopened):
        return

    async def effect(session: AsyncSession) -> None:
        issue = await session.get(Issue, change.issue_id)
        if issue is None:
            return  # taken in by another environment sharing the cluster
        issue.resolved_at = change.at if isinstance(change, IssueResolved) else None
        session.add(issue)

    await handle_once(runtime.db, envelope.id, effect)
