"""``GET /v1/issues/{id}``: an issue as it was taken in (the doors that take
issues in, ``POST /v1/issues`` among them, are in ``baton_intake.sources``)."""

from __future__ import annotations

from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_intake.deps import READ
from baton_intake.issues import service
from baton_intake.issues.schemas import IssuePublic
from baton_intake.responses import ERRORS, problem

router = APIRouter(prefix="/v1/issues", tags=["issues"])
READ_ERRORS = ERRORS | {
    404: problem("No such issue."),
    422: problem("A header is invalid (too long, say)."),
}


@router.get(
    "/{issue_id}",
    **READ,
    response_model=IssuePublic,
    responses=READ_ERRORS,  # type: ignore[arg-type]
)
async def read_issue(issue_id: str, session: SessionDep) -> IssuePublic:
    issue = await service.get(session=session, issue_id=issue_id)
    if issue is None:
        raise Problem(404, f"No issue {issue_id!r} was reported here.", title="Issue not found")
    return IssuePublic.of(issue)
