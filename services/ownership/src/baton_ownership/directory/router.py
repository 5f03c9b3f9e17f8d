from __future__ import annotations

from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_ownership.deps import ActorDep, ClockDep, RuntimeDep
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import AvailabilityUpdate, MemberPublic
from baton_ownership.lifecycle import service as lifecycle

router = APIRouter(prefix="/v1/departments", tags=["directory"])


def public(member, open_issues: int) -> MemberPublic:
    return MemberPublic(
        department=member.department,
        person_id=member.person_id,
        role=member.role,
        active=member.active,
        on_duty=member.on_duty,
        capacity=member.capacity,
        open_issues=open_issues,
    )


@router.get("/{department}/members", response_model=list[MemberPublic])
async def list_members(department: str, session: SessionDep) -> list[MemberPublic]:
    """The department's liaisons and head: availability, capacity, open issues."""
    rows = await directory.members(session=session, department=department)
    if not rows:
        raise Problem(
            404, f"Ownership knows no department {department!r}.", title="Unknown department"
        )
    return [public(m, n) for m, n in rows]


@router.put("/{department}/members/{person_id}/availability", response_model=MemberPublic)
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
    async with session.begin():
        member = await directory.member(session=session, department=department, person_id=person_id)
        if member is None:
            raise Problem(404, f"{person_id!r} is not in {department}.", title="Unknown member")
        if actor_id != person_id and not await directory.is_head(
            session=session, department=department, person_id=actor_id
        ):
            raise Problem(
                403,
                "Only the member themself or the department head may change this.",
                title="Not yours to change",
            )
        if body.on_duty is not None:
            member.on_duty = body.on_duty
        if body.capacity is not None:
            member.capacity = body.capacity
        session.add(member)
        await session.flush()
        ctx = lifecycle.Ctx(
            session=session, settings=runtime.settings, actor_id=actor_id, clock=clock
        )
        await lifecycle.drain(ctx, department=department)
    runtime.relay.notify()
    counts = await directory.open_issue_counts(session=session, department=department)
    return public(member, counts.get(person_id, 0))
