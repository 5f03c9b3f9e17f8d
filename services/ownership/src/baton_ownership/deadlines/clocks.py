"""Starting and stopping an issue's clocks: acknowledge, resolve, and help."""

from __future__ import annotations

from datetime import datetime, timedelta

from baton_contracts import DeadlineSet, Envelope
from baton_contracts.topics import ISSUES_OWNERSHIP
from baton_runtime.outbox import add_event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.models import IssueOwner
from baton_ownership.core.state import Issue
from baton_ownership.deadlines.models import Deadline, Kind
from baton_ownership.directory import service as directory
from baton_ownership.settings import Settings


def due_in(
    settings: Settings,
    kind: Kind,
    priority: str,
    department: str,
    catalog_resolve_hours: float | None = None,
) -> timedelta:
    """The department's own deadline for this priority (BATON_DEPARTMENT_DEADLINES),
    else the catalog's time to resolve for the department, else the default's."""
    own = settings.department_deadlines.get(department)
    own_table = (
        (own.acknowledge_minutes if kind == "acknowledge" else own.resolve_minutes) if own else {}
    )
    if priority in own_table:
        return timedelta(minutes=own_table[priority])
    if kind == "resolve" and catalog_resolve_hours:
        return timedelta(hours=catalog_resolve_hours)
    defaults = settings.acknowledge_minutes if kind == "acknowledge" else settings.resolve_minutes
    return timedelta(minutes=defaults.get(priority, defaults["normal"]))


def warn_at(settings: Settings, now: datetime, due_at: datetime) -> datetime | None:
    if settings.deadline_near_fraction <= 0:
        return None
    return now + (due_at - now) * settings.deadline_near_fraction


async def due_at(
    session: AsyncSession, issue: Issue, kind: Kind, *, settings: Settings, now: datetime
) -> datetime:
    """When the issue's acknowledge or resolve clock, started ``now`` in its
    current department, runs out."""
    hours = await directory.resolve_hours(session=session, department=issue.department)
    return now + due_in(settings, kind, issue.priority, issue.department, hours)


async def _announce(session: AsyncSession, settings: Settings, event: DeadlineSet) -> None:
    """Say when the clock runs out (``DeadlineSet``), in the issue's own trace,
    so that readers of the topic (the workspace) can show the countdown."""
    row = await session.get(IssueOwner, event.issue_id)
    add_event(
        session,
        topic=settings.topic(ISSUES_OWNERSHIP),
        envelope=Envelope.wrap(source="/baton/ownership", data=event),
        trace_context=dict(row.trace_context) if row is not None and row.trace_context else None,
    )


async def start(
    session: AsyncSession, issue: Issue, kind: Kind, *, settings: Settings, now: datetime
) -> datetime:
    """Start the acknowledge or resolve clock for the issue's current department;
    returns when it runs out."""
    due_at_ = await due_at(session, issue, kind, settings=settings, now=now)
    session.add(
        Deadline(
            issue_id=issue.issue_id,
            kind=kind,
            department=issue.department,
            due_at=due_at_,
            warn_at=warn_at(settings, now, due_at_),
        )
    )
    await _announce(session, settings, DeadlineSet(
        issue_id=issue.issue_id, department=issue.department, deadline=kind, due_at=due_at_,
        version=issue.version, set_at=now,
    ))  # fmt: skip
    return due_at_


async def start_help(
    session: AsyncSession,
    issue: Issue,
    help_id: int,
    department: str,
    due_at: datetime,
    *,
    settings: Settings,
    now: datetime,
) -> None:
    session.add(
        Deadline(
            issue_id=issue.issue_id,
            kind="help",
            help_id=help_id,
            department=department,
            due_at=due_at,
            warn_at=warn_at(settings, now, due_at),
        )
    )
    await _announce(session, settings, DeadlineSet(
        issue_id=issue.issue_id, department=department, deadline="help", due_at=due_at,
        version=issue.version, set_at=now, help_id=help_id,
    ))  # fmt: skip


async def meet(
    session: AsyncSession, issue_id: str, *kinds: Kind, help_id: int | None = None
) -> None:
    """Stop the issue's running clocks of these kinds (a help clock by its id)."""
    query = select(Deadline).where(
        Deadline.issue_id == issue_id, Deadline.status == "open", col(Deadline.kind).in_(kinds)
    )
    if help_id is not None:
        query = query.where(Deadline.help_id == help_id)
    for deadline in (await session.exec(query)).all():
        deadline.status = "met"
        session.add(deadline)
