"""Liaisons work their issues here. Every change names the version it saw and
answers with the issue's new state; who acts comes from ``X-Baton-Actor``.
Who may read an issue is ``baton_ownership.access``'s to say."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from baton_runtime.identity import CallerDep, allow
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Depends, Path
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership import access
from baton_ownership.core.models import INTEGER_MAX, IssueOwner
from baton_ownership.core.store import Ctx
from baton_ownership.deps import ActorDep, ClockDep, RuntimeDep
from baton_ownership.lifecycle import service
from baton_ownership.lifecycle.schemas import (
    AcknowledgeIn,
    AnswerIn,
    DecideHandoffIn,
    DeclineIn,
    HandoffIn,
    HandoffPublic,
    HelpIn,
    HelpPublic,
    HistoryPublic,
    IssueState,
    RemarkIn,
    ReopenIn,
    ResolveIn,
)

router = APIRouter(prefix="/v1/issues", tags=["lifecycle"])
F = TypeVar("F", bound=Callable[..., Any])
# A hand-off's or help request's number, as the issue's state shows it.
Number = Annotated[int, Path(ge=1, le=INTEGER_MAX)]


def unknown(issue_id: str) -> Problem:
    """The one answer for an issue that is not here and one the caller may not read."""
    return Problem(
        404,
        f"Issue {issue_id!r} has no owner here (yet), or it is not among the issues of "
        "your departments.",
        title="Issue not found",
    )


async def readable(session: AsyncSession, who: CallerDep, issue_id: str) -> access.View:
    """How much of the issue the caller may read, or the 404 of an unknown issue."""
    issue = await session.get(IssueOwner, issue_id)
    view = None if issue is None else await access.view_of(session, who, issue)
    if view is None:
        raise unknown(issue_id)
    return view


async def state_of(session: AsyncSession, issue_id: str, view: access.View = "full") -> IssueState:
    found = await service.snapshot(session=session, issue_id=issue_id)
    if found is None:
        raise unknown(issue_id)
    issue, pending, helps = found
    # The row's columns the schema shows (it ignores the rest: names, emails, trace).
    return IssueState(
        **issue.model_dump(),
        pending_handoff=HandoffPublic.shown(pending, reason=view == "full") if pending else None,
        open_help_requests=[HelpPublic.model_validate(h, from_attributes=True) for h in helps],
        deadlines=await service.running_clocks(session=session, issue=issue),
        requester=await service.requester(session=session, issue_id=issue_id),
    )


class Acting:
    """One person acting on one issue: run the step in a transaction, wake the
    outbox relay, answer with the issue's new state (a refusal rolls the step back
    and is answered by ``problems.answer``)."""

    def __init__(
        self, session: SessionDep, runtime: RuntimeDep, actor_id: ActorDep, clock: ClockDep
    ) -> None:
        self.session, self.runtime, self.actor_id, self.clock = session, runtime, actor_id, clock

    async def apply(
        self, step: Callable[..., Awaitable[Any]], issue_id: str, **arguments: Any
    ) -> IssueState:
        """Run ``step(ctx, issue_id=issue_id, **arguments)`` as this person, now."""
        ctx = Ctx(
            session=self.session,
            settings=self.runtime.settings,
            actor_id=self.actor_id,
            clock=self.clock,
        )
        async with self.session.begin():
            await step(ctx, issue_id=issue_id, **arguments)
        ctx.committed()
        return await state_of(self.session, issue_id)


async def acting(
    session: SessionDep, runtime: RuntimeDep, actor_id: ActorDep, clock: ClockDep
) -> Acting:
    # A coroutine: FastAPI would build a class dependency in its thread pool.
    return Acting(session, runtime, actor_id, clock)


ActingDep = Annotated[Acting, Depends(acting)]


def change(path: str, *, status_code: int | None = None) -> Callable[[F], F]:
    """A route that changes an issue: for its department's liaisons and head, answered
    with the issue's new state."""
    return router.post(
        path, **allow("liaison", "head"), response_model=IssueState, status_code=status_code
    )


@router.get("/{issue_id}", **allow("liaison", "head", "agent"), response_model=IssueState)
async def read_issue(issue_id: str, session: SessionDep, who: CallerDep) -> IssueState:
    """Owner, department, state, version, pending hand-off and open help requests.
    For an agent, the hand-off's reason (written for the receiving department) is
    withheld."""
    return await state_of(session, issue_id, await readable(session, who, issue_id))


@router.get("/{issue_id}/history", **allow("liaison", "head"), response_model=list[HistoryPublic])
async def read_history(issue_id: str, session: SessionDep, who: CallerDep) -> list[HistoryPublic]:
    """Every change to the issue's ownership: what, who, when; internal notes too,
    so not for agents."""
    if await readable(session, who, issue_id) != "full":
        raise unknown(issue_id)
    rows = await service.history(session=session, issue_id=issue_id)
    return [HistoryPublic.model_validate(r, from_attributes=True) for r in rows]


@change("/{issue_id}/acknowledge")
async def acknowledge(issue_id: str, body: AcknowledgeIn, acting: ActingDep) -> IssueState:
    return await acting.apply(service.acknowledge, issue_id, version=body.version)


@change("/{issue_id}/handoffs", status_code=201)
async def request_handoff(issue_id: str, body: HandoffIn, acting: ActingDep) -> IssueState:
    """Ask to pass the issue on. The owner stays accountable until the receiver accepts."""
    return await acting.apply(
        service.request_handoff, issue_id, version=body.version,
        to_department=body.to_department, to_person_id=body.to_person_id, reason=body.reason,
    )  # fmt: skip


@change("/{issue_id}/handoffs/{handoff_id}/accept")
async def accept_handoff(
    issue_id: str, handoff_id: Number, body: DecideHandoffIn, acting: ActingDep
) -> IssueState:
    return await acting.apply(
        service.accept_handoff, issue_id, handoff_id=handoff_id, version=body.version
    )


@change("/{issue_id}/handoffs/{handoff_id}/decline")
async def decline_handoff(
    issue_id: str, handoff_id: Number, body: DeclineIn, acting: ActingDep
) -> IssueState:
    """Refuse a hand-off, with a reason; the issue stays with its owner."""
    return await acting.apply(
        service.decline_handoff, issue_id, handoff_id=handoff_id, version=body.version,
        reason=body.reason, suggested_department=body.suggested_department,
    )  # fmt: skip


@change("/{issue_id}/help", status_code=201)
async def ask_help(issue_id: str, body: HelpIn, acting: ActingDep) -> IssueState:
    """Ask another department for help, keeping ownership."""
    return await acting.apply(
        service.ask_help, issue_id, version=body.version, department=body.department,
        question=body.question, due_in=timedelta(hours=body.due_in_hours),
    )  # fmt: skip


@change("/{issue_id}/help/{help_id}/answer")
async def answer_help(
    issue_id: str, help_id: Number, body: AnswerIn, acting: ActingDep
) -> IssueState:
    return await acting.apply(
        service.answer_help, issue_id, help_id=help_id, version=body.version, answer=body.answer
    )


@change("/{issue_id}/resolve")
async def resolve(issue_id: str, body: ResolveIn, acting: ActingDep) -> IssueState:
    return await acting.apply(
        service.resolve, issue_id, version=body.version, resolution=body.resolution
    )


@change("/{issue_id}/reopen")
async def reopen(issue_id: str, body: ReopenIn, acting: ActingDep) -> IssueState:
    return await acting.apply(service.reopen, issue_id, version=body.version, reason=body.reason)


@change("/{issue_id}/replies", status_code=201)
async def reply(issue_id: str, body: RemarkIn, acting: ActingDep) -> IssueState:
    """Answer the reporter: intake sends the text on the channel and thread they used
    (email in the same thread, chat through its connector). In the issue's history;
    the version does not change."""
    return await acting.apply(service.remark, issue_id, text=body.text, public=True)


@change("/{issue_id}/notes", status_code=201)
async def note(issue_id: str, body: RemarkIn, acting: ActingDep) -> IssueState:
    """An internal note: in the issue's history for whoever works it, never sent to
    the reporter. The version does not change."""
    return await acting.apply(service.remark, issue_id, text=body.text, public=False)
