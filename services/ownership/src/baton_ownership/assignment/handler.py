"""On ``IssueRouted``: assign the owner and stage ``OwnerAssigned``, atomically."""

from __future__ import annotations

from baton_shared.events import Envelope, IssueRouted, OwnerAssigned, Person
from baton_shared.idempotency import handle_once
from baton_shared.kafka.topics import ISSUES_OWNERSHIP
from baton_shared.outbox import add_event
from baton_shared.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import service

SOURCE = "/baton/ownership"


async def on_issue_routed(envelope: Envelope, *, runtime: Runtime) -> None:
    routed = envelope.payload()
    assert isinstance(routed, IssueRouted)
    span = trace.get_current_span()
    span.set_attribute("baton.department", routed.department)

    async def effect(session: AsyncSession) -> None:
        owner = await service.assign(session=session, routed=routed)
        if owner is None:
            span.set_attribute("baton.outcome", "already_owned")
            return
        span.set_attribute("baton.owner_id", owner.owner_id)
        assigned = OwnerAssigned(
            issue_id=owner.issue_id,
            department=owner.department,
            owner=Person(id=owner.owner_id, name=owner.owner_name, email=owner.owner_email),
            assigned_at=owner.assigned_at,
        )
        add_event(
            session,
            topic=runtime.settings.topic(ISSUES_OWNERSHIP),
            envelope=Envelope.wrap(source=SOURCE, data=assigned),
        )

    if await handle_once(runtime.db, envelope.id, effect):
        runtime.relay.notify()
