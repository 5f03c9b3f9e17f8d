"""On ``IssueRouted``: assign the owner and stage ``OwnerAssigned``, atomically."""

from __future__ import annotations

from baton_contracts import Envelope, IssueRouted
from baton_runtime.idempotency import handle_once
from baton_runtime.kafka.tracing import carrier_from_current
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import service
from baton_ownership.deadlines import clocks
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.lifecycle import service as lifecycle
from baton_ownership.lifecycle.service import Ctx, owner_assigned
from baton_ownership.settings import Settings


async def on_issue_routed(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
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
            head=routed.head,
        )
        owner = await service.assign(
            session=session,
            issue_id=routed.issue_id,
            department=routed.department,
            priority=routed.priority,
        )
        if owner is None:
            await rerouted(session, routed, runtime=runtime)
            return
        span.set_attribute("baton.owner_id", owner.owner_id)
        owner.trace_context = carrier_from_current()  # this handler's span is in the issue's trace
        ctx = Ctx(session=session, settings=runtime.settings, actor_id="baton-routing")
        for kind in ("acknowledge", "resolve"):
            await clocks.start(session, owner, kind, settings=ctx.policy, now=ctx.clock())
        stays.begin(session, owner, via="routing", at=owner.assigned_at)
        ctx.emit(owner_assigned(owner, via="routing", previous_owner_id=None))

    if await handle_once(runtime.db, envelope.id, effect):
        runtime.relay.notify()


async def rerouted(
    session: AsyncSession, routed: IssueRouted, *, runtime: Runtime[Settings]
) -> None:
    """Routing answered a reroute for an issue that already has an owner. The
    baton only changes hands when the next runner takes it: the owner keeps the
    issue, and the new department is asked to accept it (a hand-off)."""
    span = trace.get_current_span()
    ctx = Ctx(session=session, settings=runtime.settings, actor_id="baton-routing")
    issue = await lifecycle.load(ctx, routed.issue_id)
    if routed.attempt <= 1 or issue.state == "resolved":
        span.set_attribute("baton.outcome", "already_owned")
        return
    if routed.silo_alarm:
        await lifecycle.silo_alarm(ctx, issue)
    if routed.department == issue.department or await lifecycle.pending_handoff(
        ctx, issue.issue_id
    ):
        span.set_attribute("baton.outcome", "reroute_noted")
        return
    await lifecycle.open_handoff(
        ctx, issue, version=issue.version, to_department=routed.department, to_person_id=None,
        reason=f"Rerouted (attempt {routed.attempt}): {routed.reason}",
    )  # fmt: skip
    span.set_attribute("baton.outcome", "reroute_handoff_requested")
