from __future__ import annotations

from datetime import UTC, datetime

from baton_contracts import IssueReported, Reporter
from baton_contracts.common import Priority
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlmodel import select

from baton_routing.decisions.decide import decide
from baton_routing.decisions.models import DecisionPublic, RoutingDecision

router = APIRouter(tags=["routing"])


@router.get("/v1/decisions/{issue_id}", response_model=list[DecisionPublic])
async def decisions_for_issue(issue_id: str, session: SessionDep) -> list[DecisionPublic]:
    """Every routing decision made for an issue, oldest first, with its reason."""
    rows = (
        await session.exec(
            select(RoutingDecision)
            .where(RoutingDecision.issue_id == issue_id)
            .order_by(RoutingDecision.id)  # type: ignore[arg-type]
        )
    ).all()
    if not rows:
        raise Problem(404, f"Issue {issue_id!r} has not been routed (yet).", title="Not routed")
    return [DecisionPublic.model_validate(r, from_attributes=True) for r in rows]


class PreviewIssue(BaseModel):
    """An issue as intake would report it; nothing is stored or published."""

    channel: str = "agent"
    reporter: Reporter = Reporter(kind="customer", id="preview")
    subject: str
    description: str = ""
    priority: Priority = "normal"
    internal: bool = False
    customer_tier: str | None = None
    product: str | None = None
    language: str | None = None


class PreviewDecision(BaseModel):
    department: str
    priority: Priority
    rule_id: str | None
    matched_rules: list[str]
    model_version: str | None
    model_score: float | None
    model_scores: dict[str, float]
    reason: str
    catalog_version: int


@router.post("/v1/routing/preview", response_model=PreviewDecision)
async def preview(body: PreviewIssue, request: Request, session: SessionDep) -> PreviewDecision:
    """The decision routing would make for this issue now, and why, without publishing."""
    version, catalog = await request.app.state.catalog_store.current(session)
    issue = IssueReported(issue_id="preview", reported_at=datetime.now(UTC), **body.model_dump())
    decision = decide(
        catalog,
        issue,
        learned=request.app.state.model.current,
        min_confidence=request.app.state.min_confidence,
    )
    return PreviewDecision(
        department=decision.department,
        priority=decision.priority or body.priority,
        rule_id=decision.rule_id,
        matched_rules=decision.matched_rules,
        model_version=decision.model_version,
        model_score=decision.model_score,
        model_scores=decision.model_scores,
        reason=decision.reason,
        catalog_version=version,
    )
