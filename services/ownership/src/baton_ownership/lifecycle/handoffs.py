"""Two-phase hand-offs: the owner asks another department (or person), the owner
stays accountable until the receiver accepts (and becomes the one owner) or
declines (a decline naming no better department asks routing to reroute).
Too many hops raises a silo alarm to the head of customer service."""

from __future__ import annotations

from baton_contracts import (
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    Person,
    RerouteRequested,
)
from baton_contracts.topics import ISSUES_REROUTE
from baton_runtime.problems import Problem

from baton_ownership.assignment.models import IssueOwner
from baton_ownership.deadlines import clocks
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.lifecycle.models import Handoff
from baton_ownership.lifecycle.steps import (
    Ctx,
    change,
    change_fields,
    drain,
    end_stay,
    load,
    owner_assigned,
    pending_handoff,
    refuse,
    require_owner_or_head,
)


async def request_handoff(
    ctx: Ctx,
    *,
    issue_id: str,
    version: int,
    to_department: str,
    to_person_id: str | None,
    reason: str,
) -> tuple[IssueOwner, Handoff]:
    issue = await load(ctx, issue_id)
    await require_owner_or_head(ctx, issue)
    if issue.state == "resolved":
        raise refuse(issue, f"Issue {issue_id!r} is resolved; reopen it first.")
    if await pending_handoff(ctx, issue_id) is not None:
        raise refuse(issue, f"Issue {issue_id!r} already has a hand-off waiting for an answer.")
    if not await directory.known(session=ctx.session, department=to_department):
        raise Problem(
            422,
            f"There is no department {to_department!r} to hand off to.",
            title="Unknown department",
        )
    if (
        to_person_id is not None
        and await directory.member(
            session=ctx.session, department=to_department, person_id=to_person_id
        )
        is None
    ):
        raise Problem(
            422,
            f"{to_person_id!r} is not a liaison or head of {to_department}.",
            title="Unknown receiver",
        )
    if to_department == issue.department and to_person_id in (None, issue.owner_id):
        raise Problem(
            422,
            "A hand-off within the same department must name another person.",
            title="Nothing to hand off",
        )
    return await open_handoff(
        ctx, issue, version=version, to_department=to_department, to_person_id=to_person_id,
        reason=reason,
    )  # fmt: skip


async def open_handoff(
    ctx: Ctx,
    issue: IssueOwner,
    *,
    version: int,
    to_department: str,
    to_person_id: str | None,
    reason: str,
) -> tuple[IssueOwner, Handoff]:
    """Ask ``to_department`` to take the issue; the owner stays accountable meanwhile."""
    issue_id = issue.issue_id
    handoff = Handoff(
        issue_id=issue_id,
        from_department=issue.department,
        from_owner_id=issue.owner_id,
        to_department=to_department,
        to_person_id=to_person_id,
        reason=reason,
        requested_at=ctx.clock(),
    )
    ctx.session.add(handoff)
    await ctx.session.flush()
    assert handoff.id is not None
    issue = await change(
        ctx,
        issue,
        version,
        "handoff_requested",
        {
            "handoff_id": handoff.id,
            "to_department": to_department,
            "to_person_id": to_person_id,
            "reason": reason,
        },
    )
    ctx.emit(
        HandoffRequested(
            **change_fields(ctx, issue),
            handoff_id=handoff.id,
            to_department=to_department,
            to_person_id=to_person_id,
            reason=reason,
        )
    )
    return issue, handoff


async def _open_handoff_for_receiver(ctx: Ctx, issue: IssueOwner, handoff_id: int) -> Handoff:
    handoff = await ctx.session.get(Handoff, handoff_id)
    if handoff is None or handoff.issue_id != issue.issue_id:
        raise Problem(
            404,
            f"Issue {issue.issue_id!r} has no hand-off {handoff_id}.",
            title="Hand-off not found",
        )
    if handoff.status != "requested":
        raise refuse(issue, f"Hand-off {handoff_id} was already {handoff.status}.")
    receiver = await directory.member(
        session=ctx.session, department=handoff.to_department, person_id=ctx.actor_id
    )
    allowed = receiver is not None and (
        handoff.to_person_id in (None, ctx.actor_id) or receiver.role == "head"
    )
    if not allowed:
        raise Problem(
            403,
            f"Only the receiver of hand-off {handoff_id} in {handoff.to_department} may answer it.",
            title="Not your hand-off",
        )
    return handoff


async def accept_handoff(ctx: Ctx, *, issue_id: str, handoff_id: int, version: int) -> IssueOwner:
    issue = await load(ctx, issue_id)
    handoff = await _open_handoff_for_receiver(ctx, issue, handoff_id)
    receiver = await directory.member(
        session=ctx.session, department=handoff.to_department, person_id=ctx.actor_id
    )
    assert receiver is not None
    previous_owner, previous_department = issue.owner_id, issue.department
    moved = handoff.to_department != issue.department
    if moved:
        await end_stay(ctx, issue, "handed_off")
    issue = await change(
        ctx,
        issue,
        version,
        "handoff_accepted",
        {"handoff_id": handoff_id},
        department=handoff.to_department,
        owner_id=receiver.person_id,
        owner_name=receiver.name,
        owner_email=receiver.email,
        assigned_at=ctx.clock(),
        state="acknowledged",
        acknowledged_at=ctx.clock(),
        hop=issue.hop + (1 if moved else 0),
        held_by_head=False,
        department_since=ctx.clock() if moved else issue.department_since,
    )
    handoff.status, handoff.decided_at, handoff.decided_by = "accepted", ctx.clock(), ctx.actor_id
    ctx.session.add(handoff)
    # The receiver has taken it: their own resolve clock starts now.
    await clocks.meet(ctx.session, issue_id, "acknowledge", "resolve")
    await clocks.start(ctx.session, issue, "resolve", settings=ctx.policy, now=ctx.clock())
    if moved:
        stays.begin(ctx.session, issue, via="handoff", at=ctx.clock(), acknowledged=True)
    ctx.emit(owner_assigned(issue, via="handoff", previous_owner_id=previous_owner))
    if moved and issue.hop > ctx.policy.silo_alarm_hops:
        await silo_alarm(ctx, issue)
    await drain(ctx, department=previous_department)
    return issue


async def silo_alarm(ctx: Ctx, issue: IssueOwner) -> None:
    """Too many departments have held this issue: tell the head of customer service."""
    head = await directory.head_of(
        session=ctx.session, department=ctx.policy.customer_service_department
    )
    if head is None:
        return
    issue = await change(
        ctx, issue, issue.version, "silo_alarm", {"hop": issue.hop, "to": head.person_id}
    )
    ctx.emit(
        Escalated(
            **change_fields(ctx, issue),
            reason="silo_alarm",
            level=0,
            moved=False,
            to=Person(id=head.person_id, name=head.name, email=head.email),
        )
    )


async def decline_handoff(
    ctx: Ctx,
    *,
    issue_id: str,
    handoff_id: int,
    version: int,
    reason: str,
    suggested_department: str | None = None,
) -> IssueOwner:
    """Refuse a hand-off; the issue stays with its owner. A decline that names no
    better department asks routing to route the issue again (``RerouteRequested``)."""
    issue = await load(ctx, issue_id)
    handoff = await _open_handoff_for_receiver(ctx, issue, handoff_id)
    issue = await change(
        ctx, issue, version, "handoff_declined", {"handoff_id": handoff_id, "reason": reason}
    )
    handoff.status, handoff.decided_at, handoff.decided_by = "declined", ctx.clock(), ctx.actor_id
    handoff.decline_reason = reason
    ctx.session.add(handoff)
    ctx.emit(
        HandoffDeclined(
            **change_fields(ctx, issue),
            handoff_id=handoff_id,
            to_department=handoff.to_department,
            reason=reason,
            suggested_department=suggested_department,
        )
    )
    if suggested_department is None:
        ctx.emit(
            RerouteRequested(issue_id=issue_id, declined_by=handoff.to_department,
                             reason=reason, requested_at=ctx.clock()),
            topic=ctx.settings.topic(ISSUES_REROUTE),
        )  # fmt: skip
    return issue
