"""The issue lifecycle as people work it: acknowledge, hand off (two-phase), ask
for help, resolve, reopen. Each step loads the issue and who acts, lets the
rules (``core.transitions``) decide, and applies the change in the caller's
transaction with what goes with it: hand-off and help rows, clocks, stays.
Refusals are the core's domain errors; the router answers them over HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.service import drain
from baton_ownership.core import store, transitions
from baton_ownership.core.models import Handoff, HelpRequest, HistoryEntry, IssueOwner
from baton_ownership.core.state import Actor, Issue, aware
from baton_ownership.core.store import Ctx
from baton_ownership.deadlines import clocks
from baton_ownership.deadlines.explain import explain
from baton_ownership.deadlines.service import silo_alarm
from baton_ownership.directory import service as directory
from baton_ownership.directory.hours import hours_of
from baton_ownership.insights import stays
from baton_ownership.lifecycle.schemas import DeadlinePublic, RequesterPublic
from baton_ownership.workload import service as workload
from baton_ownership.workload.models import InternalRequest


async def _acting(ctx: Ctx, issue_id: str) -> tuple[Issue, Actor]:
    issue = await store.load(ctx, issue_id)
    return issue, await directory.actor(session=ctx.session, person_id=ctx.actor_id)


def _decided(ctx: Ctx, handoff: Handoff, status: str) -> None:
    handoff.status, handoff.decided_at, handoff.decided_by = status, ctx.clock(), ctx.actor_id
    ctx.session.add(handoff)


async def acknowledge(ctx: Ctx, *, issue_id: str, version: int) -> Issue:
    issue, by = await _acting(ctx, issue_id)
    change = transitions.acknowledge(issue, by=by, version=version, now=ctx.clock())
    issue = await store.apply(ctx, change)
    await workload.follow(ctx, change)
    await clocks.meet(ctx.session, issue_id, "acknowledge")
    await stays.acknowledged(ctx.session, issue_id, ctx.clock())
    return issue


async def request_handoff(
    ctx: Ctx, *, issue_id: str, version: int, to_department: str, to_person_id: str | None,
    reason: str,
) -> tuple[Issue, Handoff]:  # fmt: skip
    issue, by = await _acting(ctx, issue_id)
    to = await directory.roster(session=ctx.session, department=to_department)
    # Refused before its row exists: the database allows one waiting hand-off per issue.
    transitions.check_handoff_request(
        issue, by=by, to=to, to_person_id=to_person_id, version=version
    )
    return await store.open_handoff(
        ctx, issue, to_department=to_department, to_person_id=to_person_id, reason=reason
    )


async def accept_handoff(ctx: Ctx, *, issue_id: str, handoff_id: int, version: int) -> Issue:
    issue, by = await _acting(ctx, issue_id)
    handoff = await ctx.session.get(Handoff, handoff_id)
    now = ctx.clock()
    change = transitions.accept_handoff(
        issue, by=by, handoff_id=handoff_id, version=version, now=now,
        handoff=store.handoff_view(handoff) if handoff else None,
    )  # fmt: skip
    # The receiver has taken it: the clocks running stop, their own resolve clock
    # starts now, said in the event that makes them the owner (no DeadlineSet).
    await clocks.meet(ctx.session, issue_id, "acknowledge", "resolve")
    resolving = await clocks.start(
        ctx.session, change.after, "resolve", settings=ctx.settings, now=now, announced=False
    )
    change = transitions.with_clocks(
        change, [clocks.said(resolving, version=change.after.version, now=now)]
    )
    moved = change.after.department != issue.department
    if moved:
        await stays.end(ctx, issue, "handed_off")
    accepted = await store.apply(ctx, change)
    await workload.follow(ctx, change)
    assert handoff is not None  # else the rules refused
    _decided(ctx, handoff, "accepted")
    if moved:
        stays.begin(ctx, accepted, via="handoff", at=now, acknowledged=True)
        if accepted.hop > ctx.settings.silo_alarm_hops:
            accepted = await silo_alarm(ctx, accepted)
    await drain(ctx, department=issue.department)
    return accepted


async def decline_handoff(
    ctx: Ctx, *, issue_id: str, handoff_id: int, version: int, reason: str,
    suggested_department: str | None = None,
) -> Issue:  # fmt: skip
    """Refuse a hand-off; the issue stays with its owner (and, if the decliner names
    no better department, routing is asked again)."""
    issue, by = await _acting(ctx, issue_id)
    handoff = await ctx.session.get(Handoff, handoff_id)
    change = transitions.decline_handoff(
        issue, by=by, handoff_id=handoff_id, version=version, reason=reason,
        suggested_department=suggested_department, now=ctx.clock(),
        handoff=store.handoff_view(handoff) if handoff else None,
    )  # fmt: skip
    issue = await store.apply(ctx, change)
    assert handoff is not None  # else the rules refused
    _decided(ctx, handoff, "declined")
    handoff.decline_reason = reason
    return issue


async def ask_help(
    ctx: Ctx, *, issue_id: str, version: int, department: str, question: str, due_in: timedelta
) -> tuple[Issue, HelpRequest]:
    issue, by = await _acting(ctx, issue_id)
    helping = await directory.roster(session=ctx.session, department=department)
    transitions.check_help_request(issue, by=by, helping=helping, version=version)
    now = ctx.clock()
    help_request = HelpRequest(
        issue_id=issue_id, requested_by=ctx.actor_id, requesting_department=issue.department,
        helping_department=department, question=question, due_at=now + due_in, requested_at=now,
    )  # fmt: skip
    ctx.session.add(help_request)
    await ctx.session.flush()  # the event names its id
    change = transitions.open_help(
        issue, help=store.help_view(help_request), actor_id=ctx.actor_id, now=now,
        question=question,
    )  # fmt: skip
    issue = await store.apply(ctx, change)
    assert help_request.id is not None
    await clocks.start_help(
        ctx.session, issue, help_request.id, department, help_request.due_at,
        settings=ctx.settings, now=now,
    )  # fmt: skip
    return issue, help_request


async def answer_help(ctx: Ctx, *, issue_id: str, help_id: int, version: int, answer: str) -> Issue:
    issue, by = await _acting(ctx, issue_id)
    help_request = await ctx.session.get(HelpRequest, help_id)
    change = transitions.answer_help(
        issue, by=by, help_id=help_id, version=version, now=ctx.clock(), answer=answer,
        help=store.help_view(help_request) if help_request else None,
    )  # fmt: skip
    issue = await store.apply(ctx, change)
    assert help_request is not None  # else the rules refused
    help_request.status, help_request.answer = "answered", answer
    help_request.answered_by, help_request.answered_at = ctx.actor_id, ctx.clock()
    ctx.session.add(help_request)
    await clocks.meet(ctx.session, issue_id, "help", help_id=help_id)
    return issue


async def resolve(ctx: Ctx, *, issue_id: str, version: int, resolution: str) -> Issue:
    issue, by = await _acting(ctx, issue_id)
    change = transitions.resolve(
        issue, by=by, version=version, resolution=resolution, now=ctx.clock()
    )
    pending = await store.pending_handoff(ctx.session, issue_id)
    if pending is not None:  # resolving answers it: nothing is left to hand off
        _decided(ctx, pending, "cancelled")
    await stays.end(ctx, issue, "resolved")
    issue = await store.apply(ctx, change)
    await workload.follow(ctx, change)
    await clocks.meet(ctx.session, issue_id, "acknowledge", "resolve", "help")
    await drain(ctx, department=issue.department)
    return issue


async def reopen(ctx: Ctx, *, issue_id: str, version: int, reason: str) -> Issue:
    issue, by = await _acting(ctx, issue_id)
    change = transitions.reopen(issue, by=by, version=version, reason=reason, now=ctx.clock())
    issue = await store.apply(ctx, change)
    await workload.follow(ctx, change)
    await clocks.start(ctx.session, issue, "resolve", settings=ctx.settings, now=ctx.clock())
    stays.begin(ctx, issue, via="reopen", at=ctx.clock(), acknowledged=True)
    return issue


async def remark(ctx: Ctx, *, issue_id: str, text: str, public: bool) -> Issue:
    """A public reply to the reporter (an event intake sends on), or an internal
    note (history only); signed with the author's name as the catalog has it."""
    issue, by = await _acting(ctx, issue_id)
    seat = by.seat_in(issue.department)
    name = seat.person.name if seat else issue.owner_name if by.id == issue.owner_id else by.id
    change = transitions.remark(
        issue, by=by, public=public, text=text, author_name=name, now=ctx.clock()
    )
    store.record(ctx, change)
    return issue


# ---- what the router reads --------------------------------------------------------------


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
    pending = await store.pending_handoff(session, issue_id)
    return issue, pending, await open_help(session=session, issue_id=issue_id)


async def running_clocks(*, session: AsyncSession, issue: IssueOwner) -> list[DeadlinePublic]:
    """The issue's open clocks, soonest first, each with its explanation."""
    shown = []
    for row in await clocks.running(session, issue.issue_id):
        hours = await hours_of(session, row.department)
        words = explain(
            department=row.department, priority=issue.priority, counting=row.counting,
            started_at=row.started_at and aware(row.started_at), length_minutes=row.length_minutes,
            due_at=aware(row.due_at), level=row.level, on_call_layer=row.on_call_layer,
            calendar=hours.calendar,
        )  # fmt: skip
        shown.append(
            DeadlinePublic(
                kind=row.kind, due_at=aware(row.due_at), counting=row.counting,  # type: ignore[arg-type]
                started_at=row.started_at and aware(row.started_at),
                length_minutes=row.length_minutes, escalation_level=row.level,
                on_call_layer=row.on_call_layer, help_id=row.help_id, explanation=words,
            )
        )  # fmt: skip
    return shown


async def requester(*, session: AsyncSession, issue_id: str) -> RequesterPublic | None:
    request = await session.get(InternalRequest, issue_id)
    if request is None:
        return None
    return RequesterPublic(person_id=request.requester_id, department=request.requester_department)
