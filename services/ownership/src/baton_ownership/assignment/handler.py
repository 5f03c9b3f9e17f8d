"""On ``IssueRouted``: assign the owner and stage ``OwnerAssigned``, atomically."""

from __future__ import annotations

from functools import partial

from baton_contracts import Envelope, IssueRouted
from baton_runtime.idempotency import handle_once
from baton_runtime.kafka.tracing import carrier_from_current
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import service
from baton_ownership.assignment.service import ROUTING
from baton_ownership.core import metrics, store, transitions
from baton_ownership.core.state import utcnow
from baton_ownership.core.store import Clock, Ctx
from baton_ownership.deadlines import clocks, oncall
from baton_ownership.deadlines import service as deadlines
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.settings import Settings
from baton_ownership.workload import service as workload


async def on_issue_routed(
    envelope: Envelope, *, runtime: Runtime[Settings], clock: Clock = utcnow
) -> None:
    routed = envelope.payload()
    if not isinstance(routed, IssueRouted):
        return
    span = trace.get_current_span()
    span.set_attribute("baton.department", routed.department)

    async def effect(session: AsyncSession) -> None:
        # The roster in the event is the catalog as routing saw it: keep the directory
        # current. What it reads (the department's hours and members) serves the
        # rest of the assignment, which reads neither again.
        roster = await directory.upsert_department(
            session=session,
            department=routed.department,
            liaisons=routed.liaisons,
            head=routed.head,
            as_of=routed.routed_at,
        )
        hours, members = roster.hours, roster.members
        # This handler's span is in the issue's trace: every later change joins it.
        carrier = carrier_from_current()
        ctx = Ctx(session=session, settings=runtime.settings, actor_id=ROUTING, clock=clock)
        # Urgent, outside the department's working hours: the person on call.
        called = await oncall.first_owner(
            session, department=routed.department, priority=routed.priority, now=ctx.clock(),
            hours=hours, members=members,
        )  # fmt: skip
        issue = await service.assign(
            session=session,
            issue_id=routed.issue_id,
            department=routed.department,
            priority=routed.priority,
            trace_context=carrier,
            decision={
                "rule_id": routed.rule_id,
                "reason": routed.reason,
                "attempt": routed.attempt,
                "routing_event_id": envelope.id,
            },
            to=called[0] if called else None,
            now=ctx.clock(),
            members=members,
        )
        if issue is None:
            await rerouted(session, routed, runtime=runtime)
            return
        span.set_attribute("baton.owner_id", issue.owner_id)
        ctx.traces[issue.issue_id] = carrier
        request = workload.opened(session, routed, at=issue.assigned_at)
        # The two clocks ride in the OwnerAssigned: one event, not three.
        started, deadlines = [], []
        for kind in ("acknowledge", "resolve"):
            now = ctx.clock()
            deadline = clocks.begin(
                session, issue, kind, settings=ctx.settings, now=now, hours=hours,
                request=request, on_call_layer=called[1] if called else None,
            )  # fmt: skip
            deadlines.append(deadline)
            started.append(clocks.said(deadline, version=issue.version, now=now))
        clocks.insert(session, deadlines)
        stays.begin(ctx, issue, via="routing", at=issue.assigned_at)
        await workload.received(ctx, issue, via="routing", at=issue.assigned_at, hours=hours)
        ctx.emit(
            transitions.owner_assigned(
                issue, via="routing", previous_owner_id=None, routing_reason=routed.reason,
                clocks=started, on_call_layer=called[1] if called else None,
            )
        )  # fmt: skip
        ctx.on_commit(partial(metrics.assigned, issue, "routing"))

    # Its commit (this event's, or its batch's) wakes the outbox relay.
    await handle_once(runtime.db, envelope.id, effect)


async def rerouted(
    session: AsyncSession, routed: IssueRouted, *, runtime: Runtime[Settings]
) -> None:
    """Routing answered a reroute for an issue that already has an owner. The
    baton only changes hands when the next runner takes it: the owner keeps the
    issue, and the new department is asked to accept it (a hand-off)."""
    span = trace.get_current_span()
    ctx = Ctx(session=session, settings=runtime.settings, actor_id=ROUTING)
    issue = await store.load(ctx, routed.issue_id)
    if routed.attempt <= 1 or issue.state == "resolved":
        span.set_attribute("baton.outcome", "already_owned")
        return
    if routed.silo_alarm:
        issue = await deadlines.silo_alarm(ctx, issue)
    if routed.department == issue.department or issue.pending is not None:
        span.set_attribute("baton.outcome", "reroute_noted")
        return
    await store.open_handoff(
        ctx, issue, to_department=routed.department, to_person_id=None,
        reason=f"Rerouted (attempt {routed.attempt}): {routed.reason}",
    )  # fmt: skip
    span.set_attribute("baton.outcome", "reroute_handoff_requested")
