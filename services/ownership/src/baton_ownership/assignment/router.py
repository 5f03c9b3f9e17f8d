from __future__ import annotations

from baton_runtime.identity import CallerDep, allow
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_ownership import access
from baton_ownership.assignment import service
from baton_ownership.assignment.schemas import OwnerPublic
from baton_ownership.core.store import Ctx
from baton_ownership.deps import ActorDep, ClockDep, RuntimeDep
from baton_ownership.directory import service as directory
from baton_ownership.directory.schemas import AvailabilityUpdate, MemberPublic

router = APIRouter()


@router.get(
    "/v1/issues/{issue_id}/owner",
    **allow("liaison", "head", "agent"),
    response_model=OwnerPublic,
    tags=["ownership"],
)
async def read_owner(issue_id: str, session: SessionDep, who: CallerDep) -> OwnerPublic:
    """The one accountable owner of an issue (404 until it is routed and assigned, and
    for whoever may not read it: ``baton_ownership.access``)."""
    owner = await service.get(session=session, issue_id=issue_id)
    if owner is None or await access.view_of(session, who, owner) is None:
        # The same answer either way: a 404 must not tell that the issue exists.
        raise Problem(
            404,
            f"Issue {issue_id!r} has no owner yet, or it is not among the issues of your "
            "departments: it may still be on its way through routing. If intake linked "
            "it to an earlier issue as a near-duplicate (its answer's duplicate_of), that "
            "issue's owner holds it.",
            title="No owner yet",
        )
    return OwnerPublic.of(owner)


@router.put(
    "/v1/departments/{department}/members/{person_id}/availability",
    **allow("head", "liaison"),
    response_model=MemberPublic,
    tags=["directory"],
)
async def set_availability(
    department: str,
    person_id: str,
    body: AvailabilityUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    actor_id: ActorDep,
    clock: ClockDep,
) -> MemberPublic:
    """Go on duty or away, or change capacity. Issues the head held for want of a
    liaison move to liaisons who are now free, oldest first."""
    ctx = Ctx(session=session, settings=runtime.settings, actor_id=actor_id, clock=clock)
    async with session.begin():
        member = await service.set_availability(
            ctx, department=department, person_id=person_id,
            on_duty=body.on_duty, capacity=body.capacity,
        )  # fmt: skip
    ctx.committed()  # what drain moved is counted once durable
    counts = await directory.open_issue_counts(session=session, department=department)
    return MemberPublic.of(member, counts.get(person_id, 0))
