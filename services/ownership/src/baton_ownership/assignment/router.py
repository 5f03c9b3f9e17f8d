from __future__ import annotations

from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_ownership.assignment import service
from baton_ownership.assignment.models import OwnerPublic

router = APIRouter(prefix="/v1/issues", tags=["ownership"])


@router.get("/{issue_id}/owner", response_model=OwnerPublic)
async def read_owner(issue_id: str, session: SessionDep) -> OwnerPublic:
    """The one accountable owner of an issue (404 until it is routed and assigned)."""
    owner = await service.get(session=session, issue_id=issue_id)
    if owner is None:
        raise Problem(
            404,
            f"Issue {issue_id!r} has no owner yet: it may still be on its way through "
            "routing. If intake linked it to an earlier issue as a near-duplicate (its "
            "answer's duplicate_of), that issue's owner holds it.",
            title="No owner yet",
        )
    return OwnerPublic.of(owner)
