"""On ``IssueRouted``: assign the owner and stage ``OwnerAssigned``, atomically."""

from __future__ import annotations

from baton_shared.events import Envelope, IssueRouted
from baton_shared.idempotency import handle_once
from baton_shared.kafka.tracing import carrier_from_current
from baton_shared.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import service
from baton_ownership.deadlines import clocks
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.lifecycle.service import Ctx, owner_assigned


async def on_issue_routed(envelope: Envelope, *, runtime: Runtime) -> None:
    routed = envelope.payload()
    if not isinstance(routed, IssueRouted):
        return
    span = trace.get_current_span()
    span.set_attribute("baton.department", routed.department)

    async def effect(session: AsyncSession) -> None:
        # The roster in the event is the catalog as routing saw it: keep the directory current.
        await directory.upsert_department(
            session=session,
            department=routed.department,
            liaisons=routed.liaisons,
            head=routed.escalation_contact,
        )
        owner = await service.assign(
            session=session,
            issue_id=routed.issue_id,
            department=routed.department,
            priority=routed.priority,
        )
        if owner is None:
            span.set_attribute("baton.outcome", "already_owned")
            return
        span.set_attribute("baton.owner_id", owner.owner_id)
        owner.trace_context = carrier_from_current()  # this handler's span is in the issue's trace
        ctx = Ctx(session=session, settings=runtime.settings, actor_id="baton-routing")
        for kind in ("acknowledge", "resolve"):
            clocks.start(session, owner, kind, settings=ctx.policy, now=ctx.clock())
        stays.begin(session, owner, via="routing", at=owner.assigned_at)
        ctx.emit(owner_assigned(owner, via="routing", previous_owner_id=None))

    if await handle_once(runtime.db, envelope.id, effect):
        runtime.relay.notify()
