from __future__ import annotations

from baton_shared.problems import Problem
from baton_shared.service import SessionDep
from fastapi import APIRouter, Request
from sqlmodel import select

from baton_routing.catalog import Department
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


@router.get("/v1/departments", response_model=list[Department])
async def departments(request: Request) -> list[Department]:
    """The department catalog routing works from."""
    return request.app.state.catalog.departments
