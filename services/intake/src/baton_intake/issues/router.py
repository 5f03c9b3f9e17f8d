from __future__ import annotations

from baton_shared.problems import Problem
from baton_shared.service import RuntimeDep, SessionDep
from fastapi import APIRouter, Response, status

from baton_intake.issues import service
from baton_intake.issues.models import IssueAccepted, IssueCreate, IssuePublic

router = APIRouter(prefix="/v1/issues", tags=["issues"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=IssueAccepted)
async def report_issue(
    issue_in: IssueCreate, session: SessionDep, runtime: RuntimeDep, response: Response
) -> IssueAccepted:
    """Take an issue in. Answers once its ``IssueReported`` event is durable (in the outbox)."""
    async with session.begin():
        issue = await service.report(session=session, settings=runtime.settings, issue_in=issue_in)
    runtime.relay.notify()
    status_url = f"/v1/issues/{issue.id}"
    response.headers["Location"] = status_url
    return IssueAccepted(issue_id=issue.id, status_url=status_url)


@router.get("/{issue_id}", response_model=IssuePublic)
async def read_issue(issue_id: str, session: SessionDep) -> IssuePublic:
    issue = await service.get(session=session, issue_id=issue_id)
    if issue is None:
        raise Problem(404, f"No issue {issue_id!r} was reported here.", title="Issue not found")
    return IssuePublic.of(issue)
