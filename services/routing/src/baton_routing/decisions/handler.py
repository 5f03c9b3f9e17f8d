"""On ``IssueReported``: decide, record the decision, stage ``IssueRouted``."""

from __future__ import annotations

from datetime import UTC, datetime

from baton_shared.events import Envelope, IssueReported, IssueRouted
from baton_shared.idempotency import handle_once
from baton_shared.kafka.topics import ISSUES_ROUTED
from baton_shared.outbox import add_event
from baton_shared.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.store import CatalogStore
from baton_routing.decisions.decide import decide
from baton_routing.decisions.models import RoutingDecision
from baton_routing.learned.model import ModelSlot

SOURCE = "/baton/routing"


async def on_issue_reported(
    envelope: Envelope,
    *,
    runtime: Runtime,
    catalog: CatalogStore,
    model: ModelSlot,
    min_confidence: float,
) -> None:
    reported = envelope.payload()
    assert isinstance(reported, IssueReported)
    async with runtime.db.session() as session:
        _, current = await catalog.current(session)
    decision = decide(current, reported, learned=model.current, min_confidence=min_confidence)
    department = current.department(decision.department)
    routed = IssueRouted(
        issue_id=reported.issue_id,
        department=decision.department,
        rule_id=decision.rule_id,
        reason=decision.reason,
        priority=decision.priority or reported.priority,
        liaisons=department.liaisons,
        escalation_contact=department.escalation_contact,
        routed_at=datetime.now(UTC),
        model_version=decision.model_version,
        model_score=decision.model_score,
    )
    out = Envelope.wrap(source=SOURCE, data=routed)

    async def effect(session: AsyncSession) -> None:
        session.add(
            RoutingDecision(
                issue_id=reported.issue_id,
                event_id=out.id,
                department=decision.department,
                rule_id=decision.rule_id,
                reason=decision.reason,
                model_version=decision.model_version,
                model_score=decision.model_score,
            )
        )
        add_event(session, topic=runtime.settings.topic(ISSUES_ROUTED), envelope=out)

    span = trace.get_current_span()
    span.set_attribute("baton.department", decision.department)
    span.set_attribute("baton.rule_id", decision.rule_id or "fallback")
    if await handle_once(runtime.db, envelope.id, effect):
        runtime.relay.notify()
