from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from baton_contracts import IssueReported
from baton_runtime.identity import ANYONE, allow
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_routing.catalog.deps import CatalogDep
from baton_routing.classifier.deps import ClassifierDep
from baton_routing.decisions import service
from baton_routing.decisions.schemas import DecisionPublic, PreviewDecision, PreviewIssue
from baton_routing.deps import RuntimeDep

router = APIRouter(tags=["routing"])


@router.get(
    "/v1/decisions/{issue_id}",
    **allow("liaison", "head", "agent"),
    response_model=list[DecisionPublic],
)
async def decisions_for_issue(issue_id: str, session: SessionDep) -> list[DecisionPublic]:
    """Every routing decision made for an issue, oldest first, with its reason."""
    rows = await service.for_issue(session=session, issue_id=issue_id)
    if not rows:
        raise Problem(404, f"Issue {issue_id!r} has not been routed (yet).", title="Not routed")
    return [DecisionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/v1/routing/preview", **allow(ANYONE), response_model=PreviewDecision)
async def preview(
    body: PreviewIssue,
    catalog: CatalogDep,
    classifier: ClassifierDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> PreviewDecision:
    """The decision routing would make for this issue now, and why, without publishing."""
    issue = IssueReported(issue_id="preview", reported_at=datetime.now(UTC), **body.model_dump())
    version, decision = await service.preview(
        session=session,
        catalog=catalog,
        classifier=await classifier.ready() if runtime.settings.router_enabled else None,
        min_confidence=runtime.settings.router_min_confidence,
        issue=issue,
    )
    decided = asdict(decision) | {"priority": decision.priority or body.priority}
    return PreviewDecision(**decided, catalog_version=version)
