"""What every lifecycle change is made of: the context it runs in (session, who
acts, the clock, events to stage), loading the issue, checking who may act,
the compare-and-set change with its history entry, ending a department stay,
and handing held issues to liaisons who came free."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from baton_contracts import Envelope, OwnerAssigned, Person
from baton_contracts.topics import ISSUES_OWNERSHIP
from baton_runtime.kafka.tracing import context_from_carrier
from baton_runtime.outbox import add_event
from baton_runtime.problems import Problem
from baton_runtime.settings import ServiceSettings
from baton_runtime.telemetry import tracer
from pydantic import BaseModel
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment import service as assignment
from baton_ownership.assignment.models import IssueOwner, aware, utcnow
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.lifecycle.models import Handoff, HistoryEntry
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
