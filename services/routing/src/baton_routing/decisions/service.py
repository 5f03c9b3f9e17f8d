"""Decisions as routing records them, and deciding without recording (a preview)."""

from __future__ import annotations

from dataclasses import asdict

from baton_contracts import IssueReported
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.store import CatalogStore
from baton_routing.classifier.learned import LearnedRouter
from baton_routing.decisions.decide import Decision, decide
from baton_routing.decisions.models import RoutingDecision
from baton_routing.issues import service as issues


async def for_issue(*, session: AsyncSession, issue_id: str) -> list[RoutingDecision]:
    """Every decision made for the issue, oldest first."""
    rows = await session.exec(
        select(RoutingDecision)
        .where(RoutingDecision.issue_id == issue_id)
        .order_by(col(RoutingDecision.id))
    )
    return list(rows.all())


async def departments_tried(*, session: AsyncSession, issue_id: str) -> list[str]:
    """The departments the issue was routed to so far, one per routing, oldest first."""
    rows = await session.exec(
        select(RoutingDecision.department)
        .where(RoutingDecision.issue_id == issue_id)
        .order_by(col(RoutingDecision.id))
    )
    return list(rows.all())


async def record(
    *,
    session: AsyncSession,
    issue: IssueReported,
    decision: Decision,
    event_id: str,
    attempt: int,
) -> None:
    """Record the decision, and the event it produced; on the first routing, keep the
    issue as reported, so a reroute can decide again from it."""
    if attempt == 1:
        await issues.keep(session=session, issue=issue)
    # The row keeps what the decision says that its table has a column for.
    kept = {k: v for k, v in asdict(decision).items() if k in RoutingDecision.model_fields}
    session.add(RoutingDecision(**kept, issue_id=issue.issue_id, event_id=event_id))


async def preview(
    *,
    session: AsyncSession,
    catalog: CatalogStore,
    classifier: LearnedRouter | None,
    min_confidence: float,
    issue: IssueReported,
) -> tuple[int, Decision]:
    """The decision routing would make now, and the catalog version it used."""
    version, current = await catalog.current(session)
    return version, decide(current, issue, classifier=classifier, min_confidence=min_confidence)
