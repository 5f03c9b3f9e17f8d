"""The issue lifecycle: acknowledge, hand off (two-phase), ask for help, resolve,
reopen. Each change checks who acts and the version they saw, records history,
and stages its event in the same transaction.

Refusals are problem details: 403 for someone who may not act, 404 for what does
not exist, 409 for a stale version or a change the issue's state does not allow,
422 for a target that makes no sense.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from baton_shared.events import (
    Envelope,
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    HelpAnswered,
    HelpRequested,
    IssueAcknowledged,
    IssueReopened,
    IssueResolved,
    OwnerAssigned,
    Person,
    RerouteRequested,
)
from baton_shared.kafka.topics import ISSUES_OWNERSHIP, ISSUES_REROUTE
from baton_shared.kafka.tracing import context_from_carrier
from baton_shared.outbox import add_event
from baton_shared.problems import Problem
from baton_shared.settings import ServiceSettings
from baton_shared.telemetry import tracer
from pydantic import BaseModel
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import service as assignment
from baton_ownership.assignment.models import IssueOwner, aware, utcnow
from baton_ownership.deadlines import clocks
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.lifecycle.models import Handoff, HelpRequest, HistoryEntry
from baton_ownership.settings import Settings

SOURCE = "/baton/ownership"
Clock = Callable[[], datetime]


class Ctx:
    """What every change needs: the session, where events go, who acts, the time,
    and what to do once the transaction has committed (end department spans)."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        settings: ServiceSettings,
        actor_id: str,
        clock: Clock = utcnow,
    ) -> None:
        self.session = session
        self.settings = settings
        self.topic = settings.topic(ISSUES_OWNERSHIP)
        self.actor_id = actor_id
        self.clock = clock
        self.after_commit: list[Callable[[], None]] = []
        # Each loaded issue's own trace: its events join it, whoever makes the change.
        self.traces: dict[str, dict[str, str]] = {}

    @property
    def policy(self) -> Settings:
        assert isinstance(self.settings, Settings)
        return self.settings

    def emit(self, event: BaseModel, *, topic: str | None = None) -> None:
        add_event(
            self.session,
            topic=topic or self.topic,
            envelope=Envelope.wrap(source=SOURCE, data=event),
            trace_context=self.traces.get(event.issue_id),  # type: ignore[attr-defined]
        )

    def committed(self) -> None:
        for action in self.after_commit:
            action()


# ---- shared steps ----------------------------------------------------------------------


async def load(ctx: Ctx, issue_id: str) -> IssueOwner:
    issue = await ctx.session.get(IssueOwner, issue_id)
    if issue is None:
        raise Problem(404, f"Issue {issue_id!r} has no owner here (yet).", title="Issue not found")
    if issue.trace_context:
        ctx.traces[issue_id] = dict(issue.trace_context)
    return issue


async def end_stay(ctx: Ctx, issue: IssueOwner, outcome: str) -> None:
    """Close the issue's stay in its department and, after commit, record it as a
    span of the issue's trace, from when the department took it until now."""
    await stays.end(ctx.session, issue.issue_id, at=ctx.clock(), outcome=outcome)
    department, hop, issue_id = issue.department, issue.hop, issue.issue_id
    began, ended = aware(issue.department_since), ctx.clock()
    carrier = dict(issue.trace_context or {})

    def record() -> None:
        span = tracer().start_span(
            f"department {department}",
            context=context_from_carrier(carrier),
            start_time=int(began.timestamp() * 1e9),
            attributes={
                "baton.issue_id": issue_id,
                "baton.department": department,
                "baton.outcome": outcome,
                "baton.hop": hop,
            },
        )
        span.end(end_time=int(ended.timestamp() * 1e9))

    ctx.after_commit.append(record)


async def require_owner_or_head(ctx: Ctx, issue: IssueOwner) -> None:
    if ctx.actor_id == issue.owner_id:
        return
    if await directory.is_head(
        session=ctx.session, department=issue.department, person_id=ctx.actor_id
    ):
        return
    raise Problem(
        403,
        f"Only the owner of issue {issue.issue_id!r} or the head of "
        f"{issue.department} may do this.",
        title="Not yours to change",
    )


def refuse(issue: IssueOwner, detail: str) -> Problem:
    return Problem(
        409, detail, title="Not allowed in this state", state=issue.state, version=issue.version
    )


async def change(
    ctx: Ctx,
    issue: IssueOwner,
    expected: int,
    action: str,
    details: dict[str, Any] | None = None,
    **values: Any,
) -> IssueOwner:
    """Apply ``values`` if the issue is still at version ``expected``; record history.

    The compare-and-set is one UPDATE, so of two concurrent changes to the same
    version exactly one succeeds and the other gets 409.
    """
    result = await ctx.session.exec(
        update(IssueOwner)
        .where(col(IssueOwner.issue_id) == issue.issue_id, col(IssueOwner.version) == expected)
        .values(version=expected + 1, **values)
    )
    if result.rowcount != 1:
        await ctx.session.refresh(issue)
        raise Problem(
            409,
            f"Issue {issue.issue_id!r} changed since version {expected}; reload it and try again.",
            title="Stale version",
            version=issue.version,
        )
    await ctx.session.refresh(issue)
    ctx.session.add(
        HistoryEntry(
            issue_id=issue.issue_id,
            action=action,
            actor_id=ctx.actor_id,
            department=issue.department,
            owner_id=issue.owner_id,
            version=issue.version,
            at=ctx.clock(),
            details=details or {},
        )
    )
    return issue


def change_fields(ctx: Ctx, issue: IssueOwner) -> dict[str, Any]:
    return dict(
        issue_id=issue.issue_id,
        department=issue.department,
        owner_id=issue.owner_id,
        actor_id=ctx.actor_id,
        version=issue.version,
        at=ctx.clock(),
    )


def owner_assigned(issue: IssueOwner, *, via: str, previous_owner_id: str | None) -> OwnerAssigned:
    return OwnerAssigned(
        issue_id=issue.issue_id,
        department=issue.department,
        owner=Person(id=issue.owner_id, name=issue.owner_name, email=issue.owner_email),
        assigned_at=issue.assigned_at,
        via=via,
        previous_owner_id=previous_owner_id,  # type: ignore[arg-type]
        hop=issue.hop,
        version=issue.version,
    )


async def pending_handoff(ctx: Ctx, issue_id: str) -> Handoff | None:
    return (
        await ctx.session.exec(
            select(Handoff).where(Handoff.issue_id == issue_id, Handoff.status == "requested")
        )
    ).first()


# ---- the lifecycle -------------------------------------------------------------------


async def acknowledge(ctx: Ctx, *, issue_id: str, version: int) -> IssueOwner:
    issue = await load(ctx, issue_id)
    await require_owner_or_head(ctx, issue)
    if issue.state != "assigned":
        raise refuse(
            issue,
            f"Issue {issue_id!r} is {issue.state}; only an assigned issue can be acknowledged.",
        )
    issue = await change(
        ctx, issue, version, "acknowledge", state="acknowledged", acknowledged_at=ctx.clock()
    )
    await clocks.meet(ctx.session, issue_id, "acknowledge")
    await stays.acknowledged(ctx.session, issue_id, ctx.clock())
    ctx.emit(IssueAcknowledged(**change_fields(ctx, issue)))
    return issue


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


async def ask_help(
    ctx: Ctx, *, issue_id: str, version: int, department: str, question: str, due_in: timedelta
) -> tuple[IssueOwner, HelpRequest]:
    issue = await load(ctx, issue_id)
    await require_owner_or_head(ctx, issue)
    if issue.state == "resolved":
        raise refuse(issue, f"Issue {issue_id!r} is resolved; reopen it first.")
    if department == issue.department:
        raise Problem(
            422,
            "Help is asked of another department; the owner's own department "
            "already holds the issue.",
            title="Ask another department",
        )
    if not await directory.known(session=ctx.session, department=department):
        raise Problem(
            422, f"There is no department {department!r} to ask.", title="Unknown department"
        )
    help_request = HelpRequest(
        issue_id=issue_id,
        requested_by=ctx.actor_id,
        requesting_department=issue.department,
        helping_department=department,
        question=question,
        due_at=ctx.clock() + due_in,
        requested_at=ctx.clock(),
    )
    ctx.session.add(help_request)
    await ctx.session.flush()
    assert help_request.id is not None
    issue = await change(
        ctx,
        issue,
        version,
        "help_requested",
        {"help_id": help_request.id, "department": department},
    )
    ctx.emit(
        HelpRequested(
            **change_fields(ctx, issue),
            help_id=help_request.id,
            helping_department=department,
            due_at=help_request.due_at,
        )
    )
    clocks.start_help(
        ctx.session,
        issue_id,
        help_request.id,
        department,
        help_request.due_at,
        settings=ctx.policy,
        now=ctx.clock(),
    )
    return issue, help_request


async def answer_help(
    ctx: Ctx, *, issue_id: str, help_id: int, version: int, answer: str
) -> IssueOwner:
    issue = await load(ctx, issue_id)
    help_request = await ctx.session.get(HelpRequest, help_id)
    if help_request is None or help_request.issue_id != issue_id:
        raise Problem(
            404,
            f"Issue {issue_id!r} has no help request {help_id}.",
            title="Help request not found",
        )
    if (
        await directory.member(
            session=ctx.session, department=help_request.helping_department, person_id=ctx.actor_id
        )
        is None
    ):
        raise Problem(
            403,
            f"Only {help_request.helping_department}'s liaisons or head may "
            "answer this help request.",
            title="Not your help request",
        )
    if help_request.status != "open":
        raise refuse(issue, f"Help request {help_id} was already answered.")
    now = ctx.clock()
    due = (
        help_request.due_at
        if help_request.due_at.tzinfo
        else help_request.due_at.replace(tzinfo=now.tzinfo)
    )
    on_time = now <= due
    issue = await change(
        ctx, issue, version, "help_answered", {"help_id": help_id, "on_time": on_time}
    )
    help_request.status, help_request.answer = "answered", answer
    help_request.answered_by, help_request.answered_at = ctx.actor_id, now
    ctx.session.add(help_request)
    ctx.emit(
        HelpAnswered(
            **change_fields(ctx, issue),
            help_id=help_id,
            helping_department=help_request.helping_department,
            on_time=on_time,
        )
    )
    await clocks.meet(ctx.session, issue_id, "help", help_id=help_id)
    return issue


async def resolve(ctx: Ctx, *, issue_id: str, version: int, resolution: str) -> IssueOwner:
    issue = await load(ctx, issue_id)
    await require_owner_or_head(ctx, issue)
    if issue.state == "resolved":
        raise refuse(issue, f"Issue {issue_id!r} is already resolved.")
    pending = await pending_handoff(ctx, issue_id)
    if pending is not None:  # resolving answers it: nothing is left to hand off
        pending.status, pending.decided_at, pending.decided_by = (
            "cancelled",
            ctx.clock(),
            ctx.actor_id,
        )
        ctx.session.add(pending)
    await end_stay(ctx, issue, "resolved")
    issue = await change(
        ctx,
        issue,
        version,
        "resolve",
        {"resolution": resolution},
        state="resolved",
        resolved_at=ctx.clock(),
        held_by_head=False,
    )
    await clocks.meet(ctx.session, issue_id, "acknowledge", "resolve", "help")
    ctx.emit(IssueResolved(**change_fields(ctx, issue)))
    await drain(ctx, department=issue.department)
    return issue


async def reopen(ctx: Ctx, *, issue_id: str, version: int, reason: str) -> IssueOwner:
    issue = await load(ctx, issue_id)
    await require_owner_or_head(ctx, issue)
    if issue.state != "resolved":
        raise refuse(
            issue, f"Issue {issue_id!r} is {issue.state}; only a resolved issue can be reopened."
        )
    issue = await change(
        ctx, issue, version, "reopen", {"reason": reason}, state="acknowledged",
        resolved_at=None, department_since=ctx.clock(),
    )  # fmt: skip
    await clocks.start(ctx.session, issue, "resolve", settings=ctx.policy, now=ctx.clock())
    stays.begin(ctx.session, issue, via="reopen", at=ctx.clock(), acknowledged=True)
    ctx.emit(IssueReopened(**change_fields(ctx, issue)))
    return issue


async def drain(ctx: Ctx, *, department: str) -> list[IssueOwner]:
    """Hand issues the head holds for want of a liaison to liaisons now free, oldest first."""
    moved = []
    for issue in await assignment.held_by_head(session=ctx.session, department=department):
        if await pending_handoff(ctx, issue.issue_id) is not None:
            continue
        picked = await assignment.pick(session=ctx.session, department=department)
        if picked is None or picked[1]:
            break  # nobody but the head is free
        member = picked[0]
        previous = issue.owner_id
        issue = await change(
            ctx,
            issue,
            issue.version,
            "rebalanced",
            {"from": previous},
            owner_id=member.person_id,
            owner_name=member.name,
            owner_email=member.email,
            assigned_at=ctx.clock(),
            held_by_head=False,
            state="assigned",
            acknowledged_at=None,
        )
        ctx.emit(owner_assigned(issue, via="rebalance", previous_owner_id=previous))
        moved.append(issue)
    return moved


async def history(*, session: AsyncSession, issue_id: str) -> list[HistoryEntry]:
    return list(
        (
            await session.exec(
                select(HistoryEntry)
                .where(HistoryEntry.issue_id == issue_id)
                .order_by(HistoryEntry.id)  # type: ignore[arg-type]
            )
        ).all()
    )


async def open_help(*, session: AsyncSession, issue_id: str) -> list[HelpRequest]:
    return list(
        (
            await session.exec(
                select(HelpRequest)
                .where(HelpRequest.issue_id == issue_id, HelpRequest.status == "open")
                .order_by(HelpRequest.id)  # type: ignore[arg-type]
            )
        ).all()
    )


async def snapshot(
    *, session: AsyncSession, issue_id: str
) -> tuple[IssueOwner, Handoff | None, list[HelpRequest]] | None:
    """The issue, its pending hand-off and its open help requests, as committed now."""
    issue = await session.get(IssueOwner, issue_id, populate_existing=True)
    if issue is None:
        return None
    pending = (
        await session.exec(
            select(Handoff).where(Handoff.issue_id == issue_id, Handoff.status == "requested")
        )
    ).first()
    return issue, pending, await open_help(session=session, issue_id=issue_id)
