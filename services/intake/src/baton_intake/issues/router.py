"""``GET /v1/issues/{id}``: an issue as it was taken in (the doors that take
issues in, ``POST /v1/issues`` among them, are in ``baton_intake.sources``).

Who reads which issue:

- a system, with an API key holding ``intake:read``: any issue;
- an administrator or an agent (intake's own people): any issue;
- a liaison or head: an issue one of their departments (their token's
  ``departments``) holds, held, was asked to take or to help with, as intake
  learned it from ownership's events (``issues.departments``), which is what
  ownership itself answers them; a near-duplicate, as the issue it was linked
  to. Until intake knows the department (routing not done yet), no one else's.

Anyone else is answered exactly as if the issue did not exist."""

from __future__ import annotations

from baton_runtime.identity import Caller, CallerDep
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.deps import READ
from baton_intake.issues import departments, service
from baton_intake.issues.models import Issue
from baton_intake.issues.schemas import IssuePublic
from baton_intake.responses import ERRORS, problem

router = APIRouter(prefix="/v1/issues", tags=["issues"])
READ_ERRORS = ERRORS | {
    404: problem("No such issue, or not one of your departments'."),
    422: problem("A header is invalid (too long, say)."),
}


async def may_read(session: AsyncSession, who: Caller, issue: Issue) -> bool:
    if who.system is not None or who.administrator or "agent" in who.roles:
        return True  # the route's gate has checked the key's scope or the role
    department = await service.department_of(session=session, issue=issue)
    if department is None:
        return False
    if department in who.departments:
        return True
    return await departments.concerned(session, issue.duplicate_of or issue.id, who.departments)


@router.get(
    "/{issue_id}",
    **READ,
    response_model=IssuePublic,
    responses=READ_ERRORS,  # type: ignore[arg-type]
)
async def read_issue(issue_id: str, session: SessionDep, who: CallerDep) -> IssuePublic:
    issue = await service.get(session=session, issue_id=issue_id)
    if issue is None or not await may_read(session, who, issue):
        # The same answer either way: a 404 must not tell that the issue exists.
        raise Problem(
            404,
            f"No issue {issue_id!r} was reported here, or it is not assigned to one of "
            "your departments.",
            title="Issue not found",
        )
    return IssuePublic.of(issue)
