"""On ``IssueRated`` (from ``issues.feedback``): the reporter's rating counts for
the department and the person holding the issue, who resolved it."""

from __future__ import annotations

from baton_contracts import Envelope, IssueRated
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.models import IssueOwner
from baton_ownership.feedback.models import Rating
from baton_ownership.settings import Settings


async def on_feedback(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    rated = envelope.payload()
    if not isinstance(rated, IssueRated):
        return

    async def effect(session: AsyncSession) -> None:
        issue = await session.get(IssueOwner, rated.issue_id)
        # Intake takes one answer per issue; an issue ownership never held is not ours.
        if issue is None or await session.get(Rating, rated.issue_id) is not None:
            trace.get_current_span().set_attribute("baton.outcome", "not_counted")
            return
        session.add(
            Rating(
                issue_id=issue.issue_id,
                department=issue.department,
                owner_id=issue.owner_id,
                rating=rated.rating,
                rated_at=rated.rated_at,
            )
        )

    await handle_once(runtime.db, envelope.id, effect)
