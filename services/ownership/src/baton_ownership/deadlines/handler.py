"""On ``DeliveryFailed``: an owner who could not be told does not keep the issue
until the deadline passes; it escalates at once."""

from __future__ import annotations

from baton_shared.events import DeliveryFailed, Envelope
from baton_shared.idempotency import handle_once
from baton_shared.service import Runtime
from opentelemetry import trace
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import IssueOwner
from baton_ownership.deadlines import service as deadlines
from baton_ownership.deadlines.models import Deadline
from baton_ownership.lifecycle import service as lifecycle
from baton_ownership.settings import Settings


async def on_delivery_failed(envelope: Envelope, *, runtime: Runtime) -> None:
    failed = envelope.payload()
    if not isinstance(failed, DeliveryFailed):
        return
    settings = runtime.settings
    assert isinstance(settings, Settings)
    span = trace.get_current_span()
    ctx_holder: list[lifecycle.Ctx] = []

    async def effect(session: AsyncSession) -> None:
        issue = await session.get(IssueOwner, failed.issue_id)
        # Only an owner who has not acknowledged is in doubt: one who has, was reached.
        if issue is None or issue.owner_id != failed.recipient_id or issue.state != "assigned":
            span.set_attribute("baton.outcome", "no_escalation_needed")
            return
        deadline = (await session.exec(select(Deadline).where(
            Deadline.issue_id == issue.issue_id, Deadline.kind == "acknowledge",
            Deadline.status == "open",
        ))).first()  # fmt: skip
        if deadline is None:
            return
        ctx = lifecycle.Ctx(session=session, settings=settings, actor_id=deadlines.CHECKER)
        ctx_holder.append(ctx)
        await lifecycle.load(ctx, issue.issue_id)  # joins the issue's trace
        await deadlines.escalate(ctx, deadline, settings=settings, reason="owner_unreachable")
        span.set_attribute("baton.outcome", "escalated")

    if await handle_once(runtime.db, envelope.id, effect):
        for ctx in ctx_holder:
            ctx.committed()
        runtime.relay.notify()
