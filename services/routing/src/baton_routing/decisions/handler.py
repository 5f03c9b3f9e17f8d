"""On ``IssueReported`` and ``RerouteRequested``: decide, record the decision, stage
``IssueRouted``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from baton_contracts import Envelope, IssueReported, IssueRouted, RerouteRequested
from baton_contracts.topics import ISSUES_ROUTED
from baton_runtime.idempotency import handle_once
from baton_runtime.outbox import add_event
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.schemas import Catalog
from baton_routing.catalog.store import CatalogStore
from baton_routing.classifier.learned import ClassifierSlot, LearnedRouter
from baton_routing.decisions import service
from baton_routing.decisions.decide import Decision, decide, reroute
from baton_routing.issues import service as issues
from baton_routing.settings import Settings

SOURCE = "/baton/routing"


class UnknownIssue(Exception):
    """A reroute for an issue routing never saw: nothing to decide from (goes to the DLQ)."""


@dataclass(frozen=True)
class Decisions:
    """Routing's consumers of ``issues.reported`` and ``issues.reroute``, and what
    both decide with: the current catalog, and the classifier while ``router_enabled``."""

    runtime: Runtime[Settings]
    catalog: CatalogStore
    classifier: ClassifierSlot

    async def on_issue_reported(self, envelope: Envelope) -> None:
        reported = envelope.payload()
        if not isinstance(reported, IssueReported):
            # issues.reported also carries updates and duplicate links: nothing to route.
            trace.get_current_span().set_attribute("baton.outcome", "ignored")
            return
        classifier = await self._classifier()  # waited for outside any transaction
        await self._seeded()

        async def decided(session: AsyncSession) -> tuple[Catalog, IssueReported, Decision, int]:
            # Kept as reported, so a reroute can decide again from it; the statement
            # also says which catalog version is current now (no SELECT of its own).
            version = await issues.keep(session=session, issue=reported)
            assert version is not None  # seeded (_seeded), and versions are never deleted
            current = await self.catalog.at(session, version)
            min_confidence = self.runtime.settings.router_min_confidence
            return (
                current,
                reported,
                decide(current, reported, classifier=classifier, min_confidence=min_confidence),
                1,
            )

        await _publish(envelope, self.runtime, decided)

    async def on_reroute_requested(self, envelope: Envelope) -> None:
        request = envelope.payload()
        assert isinstance(request, RerouteRequested)
        classifier = await self._classifier()
        await self._seeded()

        async def decided(session: AsyncSession) -> tuple[Catalog, IssueReported, Decision, int]:
            current = await self._catalog(session)
            issue = await issues.reported(session=session, issue_id=request.issue_id)
            if issue is None:
                raise UnknownIssue(f"issue {request.issue_id} was never routed")
            previous = await service.departments_tried(session=session, issue_id=request.issue_id)
            tried = list(dict.fromkeys([*previous, request.declined_by]))
            attempt = len(previous) + 1
            if attempt == 1:
                await issues.keep(session=session, issue=issue)
            decision = reroute(
                current,
                issue,
                tried=tried,
                attempt=attempt,
                max_attempts=self.runtime.settings.max_routing_attempts,
                classifier=classifier,
            )
            return current, issue, decision, attempt

        await _publish(envelope, self.runtime, decided)

    async def _seeded(self) -> None:
        """The catalog has its first version. The service's start seeds it; this is for
        a handler that runs before, and outside its transaction, which may be a whole
        batch's: seeding commits."""
        if not self.catalog.seen:
            async with self.runtime.db.session() as session:
                await self.catalog.current(session)

    async def _catalog(self, session: AsyncSession) -> Catalog:
        """The current catalog, read in the handler's own transaction (no second
        connection for it)."""
        found = await self.catalog.latest(session)
        assert found is not None  # seeded (_seeded), and versions are never deleted
        return found[1]

    async def _classifier(self) -> LearnedRouter | None:
        """The trained classifier (waiting for it), or None while routing by rules only."""
        return await self.classifier.ready() if self.runtime.settings.router_enabled else None


Decided = Callable[[AsyncSession], Awaitable[tuple[Catalog, IssueReported, Decision, int]]]


async def _publish(envelope: Envelope, runtime: Runtime[Settings], decided: Decided) -> None:
    """In one transaction, once per event: decide (``decided`` reads what it needs in
    it), record the decision and stage ``IssueRouted``."""
    span = trace.get_current_span()

    async def effect(session: AsyncSession) -> None:
        catalog, issue, decision, attempt = await decided(session)
        department = catalog.department(decision.department)
        routed = IssueRouted(
            issue_id=issue.issue_id,
            department=decision.department,
            rule_id=decision.rule_id,
            reason=decision.reason,
            priority=decision.priority or issue.priority,
            liaisons=department.liaisons,
            head=department.head,
            routed_at=datetime.now(UTC),
            model_version=decision.model_version,
            model_score=decision.model_score,
            attempt=attempt,
            silo_alarm=decision.silo_alarm,
            # An employee's request is an internal customer's: ownership serves it so.
            internal=issue.internal or issue.reporter.kind == "employee",
            requester_id=issue.reporter.id if issue.reporter.kind == "employee" else None,
            requester_department=issue.reporter.department,
        )
        out = Envelope.wrap(source=SOURCE, data=routed)
        await service.record(session=session, issue=issue, decision=decision, event_id=out.id)
        add_event(session, topic=runtime.settings.topic(ISSUES_ROUTED), envelope=out)
        span.set_attribute("baton.department", decision.department)
        span.set_attribute("baton.rule_id", decision.rule_id or "fallback")
        span.set_attribute("baton.routing_attempt", attempt)

    # Its commit (this event's, or its batch's) wakes the outbox relay.
    await handle_once(runtime.db, envelope.id, effect)
