"""The issue lifecycle: acknowledge, hand off (two-phase), ask for help, resolve,
reopen. Each change checks who acts and the version they saw, records history,
and stages its event in the same transaction.

Refusals are problem details: 403 for someone who may not act, 404 for what does
not exist, 409 for a stale version or a change the issue's state does not allow,
422 for a target that makes no sense.
"""

from __future__ import annotations

from baton_contracts import IssueAcknowledged, IssueReopened, IssueResolved
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import IssueOwner
from baton_ownership.deadlines import clocks
from baton_ownership.insights import stays

# The lifecycle's other parts (steps, hand-offs, help), so callers need only this module.
from baton_ownership.lifecycle.handoffs import (
    accept_handoff,
    decline_handoff,
    open_handoff,
    request_handoff,
    silo_alarm,
)
from baton_ownership.lifecycle.help import answer_help, ask_help, open_help
from baton_ownership.lifecycle.models import Handoff, HelpRequest, HistoryEntry
from baton_ownership.lifecycle.steps import (
    SOURCE,
    Clock,
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


__all__ = [
    "SOURCE", "Clock", "Ctx", "accept_handoff", "acknowledge", "answer_help", "ask_help",
    "change", "change_fields", "decline_handoff", "drain", "end_stay", "history", "load",
    "open_handoff", "open_help", "owner_assigned", "pending_handoff", "refuse", "reopen",
    "request_handoff", "require_owner_or_head", "resolve", "silo_alarm", "snapshot",
]  # fmt: skip
