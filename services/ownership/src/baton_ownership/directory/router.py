from __future__ import annotations

from baton_runtime.identity import allow
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_ownership.directory import service as directory
from baton_ownership.directory.schemas import MemberPublic

router = APIRouter(prefix="/v1/departments", tags=["directory"])


@router.get("/{department}/members", **allow("liaison", "head"), response_model=list[MemberPublic])
async def list_members(department: str, session: SessionDep) -> list[MemberPublic]:
    """The department's liaisons and head: availability, capacity, open issues."""
    rows = await directory.members(session=session, department=department)
    if not rows:
        raise Problem(
            404, f"Ownership knows no department {department!r}.", title="Unknown department"
        )
    return [MemberPublic.of(m, n) for m, n in rows]
