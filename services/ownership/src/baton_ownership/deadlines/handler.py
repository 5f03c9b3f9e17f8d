"""On ``DeliveryFailed``: an owner who could not be told does not keep the issue
until the deadline passes; it escalates at once."""

from __future__ import annotations

from baton_contracts import DeliveryFailed, Envelope
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.models import IssueOwner
from baton_ownership.core.store import Ctx
from baton_ownership.deadlines import service as deadlines
from baton_ownership.deadlines.models import Deadline
from baton_ownership.settings import Settings

# Of the deliveries' outcomes only failures matter; the consumer passes over the others.
TAKES = (DeliveryFailed,)


async def on_delivery_failed(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    failed = envelope.payload()
    if not isinstance(failed, TAKES):
        return

    async def effect(session: AsyncSession) -> None:
        await _escalate_if_unreached(session, failed, settings=runtime.settings)

    await handle_once(runtime.db, envelope.id, effect)


async def _escalate_if_unreached(
    session: AsyncSession, failed: DeliveryFailed, *, settings: Settings
) -> Ctx | None:
    """Escalate the issue when the one who failed to hear is its unacknowledged owner."""
    span = trace.get_current_span()
    issue = await session.get(IssueOwner, failed.issue_id)
    # Only an owner who has not acknowledged is in doubt: one who has, was reached.
    if issue is None or issue.owner_id != failed.recipient_id or issue.state != "assigned":
        span.set_attribute("baton.outcome", "no_escalation_needed")
        return None
    deadline = (await session.exec(select(Deadline).where(
        Deadline.issue_id == issue.issue_id, Deadline.kind == "acknowledge",
        Deadline.status == "open",
    ))).first()  # fmt: skip
    if deadline is None:
        return None
    ctx = Ctx(session=session, settings=settings, actor_id=deadlines.CHECKER)
    await deadlines.escalate(ctx, deadline, reason="owner_unreachable")  # joins the issue's trace
    span.set_attribute("baton.outcome", "escalated")
    return ctx
