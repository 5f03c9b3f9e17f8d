"""Decisions as routing records them, and deciding without recording (a preview)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from baton_contracts import IssueReported
from baton_runtime.rows import rowcount
from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.store import CatalogStore
from baton_routing.classifier.learned import LearnedRouter
from baton_routing.decisions.decide import Decision, decide
from baton_routing.decisions.models import RoutingDecision


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


_DECISIONS = RoutingDecision.__table__
# Built once; the row keeps what the decision says that its table has a column for.
_RECORD = insert(_DECISIONS)
_KEPT = tuple(f.name for f in fields(Decision) if f.name in _DECISIONS.c)


async def record(
    *,
    session: AsyncSession,
    issue: IssueReported,
    decision: Decision,
    event_id: str,
) -> None:
    """Record the decision, and the event it produced (one INSERT, no ORM object).
    The issue as reported is kept before (``issues.keep``), so a reroute can decide
    again from it."""
    row = {name: getattr(decision, name) for name in _KEPT}
    row |= {"issue_id": issue.issue_id, "event_id": event_id, "decided_at": datetime.now(UTC)}
    await rowcount(session, _RECORD, row)


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
