"""Applying the lifecycle's changes inside the caller's transaction: loading an
issue, the compare-and-set UPDATE with its history entry, and staging the
change's events in the outbox, so that the change and its events commit together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

from baton_contracts import Envelope, RerouteRequested
from baton_contracts.topics import ISSUES_OWNERSHIP, ISSUES_REROUTE
from baton_runtime import idempotency
from baton_runtime.kafka.tracing import context_from_carrier
from baton_runtime.outbox import add_event
from baton_runtime.telemetry import tracer
from pydantic import BaseModel
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core import metrics, transitions
from baton_ownership.core.errors import NotFound, Stale
from baton_ownership.core.models import Handoff, HelpRequest, HistoryEntry, IssueOwner
from baton_ownership.core.state import Change, HandoffView, HelpView, Issue, aware, utcnow
from baton_ownership.settings import Settings

SOURCE = "/baton/ownership"
Clock = Callable[[], datetime]
# The columns an Issue carries (all but the hand-off waiting, which is a row of its own).
COLUMNS = [f.name for f in fields(Issue) if f.name != "pending"]


class Ctx:
    """What every change needs: the session, who acts, the time, the events to
    stage, and what to do once the transaction has committed (end department spans)."""

    def __init__(
        self, *, session: AsyncSession, settings: Settings, actor_id: str, clock: Clock = utcnow
    ) -> None:
        self.session = session
        self.settings = settings
        self.actor_id = actor_id
        self.clock = clock
        self.after_commit: list[Callable[[], None]] = []
        # Each loaded issue's own trace: its events join it, whoever makes the change.
        self.traces: dict[str, dict[str, str]] = {}

    def emit(self, event: BaseModel) -> None:
        # A decline asks routing to route again; everything else is ownership's news.
        topic = ISSUES_REROUTE if isinstance(event, RerouteRequested) else ISSUES_OWNERSHIP
        add_event(
            self.session,
            topic=self.settings.topic(topic),
            envelope=Envelope.wrap(source=SOURCE, data=event),
            trace_context=self.traces.get(event.issue_id),  # type: ignore[attr-defined]
        )

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the change is durable: when a consumer's unit of work
        commits, or when the caller calls ``committed()`` after its own commit."""
        if idempotency.in_unit_of_work():
            idempotency.after_commit(action)
        else:
            self.after_commit.append(action)

    def committed(self) -> None:
        for action in self.after_commit:
            action()

    def mark(self, issue_id: str, name: str, at: datetime, attributes: dict[str, Any]) -> None:
        """After commit, a short span ``name`` at ``at`` in the issue's own trace."""
        carrier = dict(self.traces.get(issue_id, {}))
        attributes = {"baton.issue_id": issue_id, **attributes}

        def record() -> None:
            start = int(aware(at).timestamp() * 1e9)
            span = tracer().start_span(
                name, context=context_from_carrier(carrier), start_time=start, attributes=attributes
            )
            span.end(end_time=start)

        self.on_commit(record)


def handoff_view(row: Handoff) -> HandoffView:
    assert row.id is not None
    return HandoffView(
        id=row.id, issue_id=row.issue_id, to_department=row.to_department,
        to_person_id=row.to_person_id, reason=row.reason, status=row.status,
    )  # fmt: skip


def help_view(row: HelpRequest) -> HelpView:
    assert row.id is not None
    return HelpView(
        id=row.id, issue_id=row.issue_id, helping_department=row.helping_department,
        due_at=aware(row.due_at), status=row.status,
    )  # fmt: skip


def issue_of(row: IssueOwner, pending: Handoff | None = None) -> Issue:
    values = {name: getattr(row, name) for name in COLUMNS}
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = aware(value)
    return Issue(**values, pending=handoff_view(pending) if pending else None)


async def pending_handoff(session: AsyncSession, issue_id: str) -> Handoff | None:
    return (
        await session.exec(
            select(Handoff).where(Handoff.issue_id == issue_id, Handoff.status == "requested")
        )
    ).first()


async def load(ctx: Ctx, issue_id: str) -> Issue:
    row = await ctx.session.get(IssueOwner, issue_id)
    if row is None:
        raise NotFound(f"Issue {issue_id!r} has no owner here (yet).", title="Issue not found")
    if row.trace_context:
        ctx.traces[issue_id] = dict(row.trace_context)
    return issue_of(row, await pending_handoff(ctx.session, issue_id))


async def apply(ctx: Ctx, change: Change) -> Issue:
    """Write ``change`` if the issue is still at the version it was decided on,
    with its history entry and its events.

    The compare-and-set is one UPDATE, so of two concurrent changes to the same
    version exactly one succeeds and the other is ``Stale``.
    """
    before, after = change.before, change.after
    values = {name: getattr(after, name) for name in COLUMNS}
    values = {name: value for name, value in values.items() if value != getattr(before, name)}
    result = await ctx.session.exec(
        update(IssueOwner)
        .where(
            col(IssueOwner.issue_id) == before.issue_id, col(IssueOwner.version) == before.version
        )
        .values(**values)
    )
    # Later loads in this transaction see the row as it now is.
    row = await ctx.session.get(IssueOwner, before.issue_id, populate_existing=True)
    if result.rowcount != 1:
        raise Stale(before.issue_id, before.version, version=row.version if row else 0)
    record(ctx, change)
    ctx.on_commit(lambda: metrics.count(change))
    return after


def record(ctx: Ctx, change: Change) -> None:
    """The change's history entry and its events, in the caller's transaction: all
    of a change that ``apply`` writes besides the issue's row, and all of one
    (a reply, a note) that leaves the row as it is."""
    after = change.after
    ctx.session.add(
        HistoryEntry(
            issue_id=after.issue_id,
            action=change.action,
            actor_id=change.actor_id,
            department=after.department,
            owner_id=after.owner_id,
            version=after.version,
            at=change.at,
            details=change.details,
        )
    )
    for event in change.events:
        ctx.emit(event)


async def open_handoff(
    ctx: Ctx, issue: Issue, *, to_department: str, to_person_id: str | None, reason: str
) -> tuple[Issue, Handoff]:
    """Ask ``to_department`` to take the issue; the owner stays accountable meanwhile.
    The row comes first: the event names its id."""
    row = Handoff(
        issue_id=issue.issue_id, from_department=issue.department, from_owner_id=issue.owner_id,
        to_department=to_department, to_person_id=to_person_id, reason=reason,
        requested_at=ctx.clock(),
    )  # fmt: skip
    ctx.session.add(row)
    await ctx.session.flush()
    change = transitions.open_handoff(
        issue, handoff=handoff_view(row), actor_id=ctx.actor_id, now=ctx.clock()
    )
    return await apply(ctx, change), row
