"""Help requests: the owner asks another department a question without handing
the issue over; the answer comes back to the owner, who stays accountable."""

from __future__ import annotations

from datetime import timedelta

from baton_contracts import HelpAnswered, HelpRequested
from baton_runtime.problems import Problem
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import IssueOwner
from baton_ownership.deadlines import clocks
from baton_ownership.directory import service as directory
from baton_ownership.lifecycle.models import HelpRequest
from baton_ownership.lifecycle.steps import (
    Ctx,
    change,
    change_fields,
    load,
    refuse,
    require_owner_or_head,
)


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
