"""Starting and stopping an issue's clocks: acknowledge, resolve, and help.

A clock counts the department's working time (its calendar, for low and normal
priority) or the wall clock (high and urgent, or a department without a
calendar). An internal customer's request takes the serving department's target
for the requesting department, if it has one.

Every clock started, and every later change of when one runs out (the next
on-call layer called, the next escalation step), is announced in the same
transaction, so readers of the topic never keep a stale deadline: the clocks an
assignment starts ride in its ``OwnerAssigned`` (``said``), every other change is
a ``DeadlineSet`` of its own (``announce``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from baton_contracts import DeadlineSet, Envelope, InternalTarget
from baton_contracts.topics import ISSUES_OWNERSHIP
from baton_runtime import rows
from baton_runtime.outbox import add_event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.models import IssueOwner
from baton_ownership.core.state import Issue, aware
from baton_ownership.deadlines.models import Deadline, Kind
from baton_ownership.directory.hours import Hours, hours_of
from baton_ownership.settings import Settings
from baton_ownership.workload.models import InternalRequest


def due_in(
    settings: Settings,
    kind: Kind,
    priority: str,
    department: str,
    catalog_resolve_hours: float | None = None,
    target: InternalTarget | None = None,
) -> timedelta:
    """The target for the requesting department, else the department's own deadline
    for this priority (BATON_DEPARTMENT_DEADLINES), else the catalog's time to
    resolve for the department, else the default's."""
    wanted = (target.acknowledge_hours if kind == "acknowledge" else target.resolve_hours) if (
        target
    ) else None  # fmt: skip
    if wanted:
        return timedelta(hours=wanted)
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


def after(hours: Hours, counting: str, start: datetime, length: timedelta) -> datetime:
    """``length`` after ``start``, in the department's working time or on the clock."""
    if counting == "working" and hours.calendar is not None:
        return hours.calendar.add(start, length)
    return start + length


def warn_at(
    settings: Settings, now: datetime, due_at: datetime, *, hours: Hours | None = None,
    counting: str = "wall", length: timedelta | None = None,
) -> datetime | None:  # fmt: skip
    if settings.deadline_near_fraction <= 0:
        return None
    if hours is not None and length is not None:
        return after(hours, counting, now, length * settings.deadline_near_fraction)
    return now + (due_at - now) * settings.deadline_near_fraction


def said(deadline: Deadline | NewClock, *, version: int, now: datetime) -> DeadlineSet:
    """When the clock runs out now, at the issue's ``version`` after the change that
    set it: a reader keeping the newest version ends with the clock as it is."""
    return DeadlineSet(
        issue_id=deadline.issue_id, department=deadline.department,
        deadline=deadline.kind,  # type: ignore[arg-type]
        due_at=aware(deadline.due_at), version=version, set_at=now, help_id=deadline.help_id,
    )  # fmt: skip


async def announce(
    session: AsyncSession, deadline: Deadline, *, version: int, settings: Settings, now: datetime
) -> None:
    """Say when the clock runs out now (``DeadlineSet``), in the issue's own trace,
    so that readers of the topic (the workspace) can show the countdown."""
    row = await session.get(IssueOwner, deadline.issue_id)
    event = said(deadline, version=version, now=now)
    add_event(
        session,
        topic=settings.topic(ISSUES_OWNERSHIP),
        envelope=Envelope.wrap(source="/baton/ownership", data=event),
        trace_context=dict(row.trace_context) if row is not None and row.trace_context else None,
    )


def on_call_due(settings: Settings, now: datetime) -> datetime:
    """When a layer called ``now`` must have acknowledged (BATON_ON_CALL_ESCALATE_MINUTES)."""
    return now + timedelta(minutes=settings.on_call_escalate_minutes)


def _on_call(
    deadline: Deadline | NewClock, *, settings: Settings, now: datetime, layer: int
) -> None:
    """Make an acknowledge clock an on-call one: the called layer has
    BATON_ON_CALL_ESCALATE_MINUTES on the clock before the next layer is called."""
    deadline.on_call_layer, deadline.counting = layer, "wall"
    deadline.started_at = now
    deadline.length_minutes = settings.on_call_escalate_minutes
    deadline.due_at, deadline.warn_at = on_call_due(settings, now), None


async def start(
    session: AsyncSession, issue: Issue, kind: Kind, *, settings: Settings, now: datetime,
    on_call_layer: int | None = None, announced: bool = True,
) -> Deadline:  # fmt: skip
    """Start the acknowledge or resolve clock for the issue's current department;
    with ``on_call_layer``, the acknowledge clock of the on-call person that layer called.
    ``announced=False``: the caller says it (``said``) in the assignment's ``OwnerAssigned``."""
    hours = await hours_of(session, issue.department)
    request = await session.get(InternalRequest, issue.issue_id)
    clock = begin(
        session, issue, kind, settings=settings, now=now, hours=hours, request=request,
        on_call_layer=on_call_layer,
    )  # fmt: skip
    deadline = Deadline(**clock.columns())
    session.add(deadline)
    if announced:
        await announce(session, deadline, version=issue.version, settings=settings, now=now)
    return deadline


@dataclass(slots=True)
class NewClock:
    """A clock about to be written: a ``deadlines`` row's columns but its id, as a
    plain object (an ORM object costs more to make than the rest of ``begin``)."""

    issue_id: str
    kind: str
    department: str
    due_at: datetime
    warn_at: datetime | None
    started_at: datetime
    length_minutes: float
    counting: str
    help_id: int | None = None
    status: str = "open"
    level: int = 0
    warned: bool = False
    on_call_layer: int | None = None

    def columns(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every value (each datetime).
        return {name: getattr(self, name) for name in _NEW_CLOCK_COLUMNS}


_NEW_CLOCK_COLUMNS = [f.name for f in fields(NewClock)]


def begin(
    session: AsyncSession, issue: Issue, kind: Kind, *, settings: Settings, now: datetime,
    hours: Hours, request: InternalRequest | None, on_call_layer: int | None = None,
) -> NewClock:  # fmt: skip
    """``start`` without a read or a write: the caller has the department's ``hours``
    and the issue's internal ``request`` (None: not one) at hand, as a first
    assignment has, writes the clock (``insert``) and says it (``said``)."""
    target = hours.targets.get(request.requester_department or "") if request else None
    length = due_in(settings, kind, issue.priority, issue.department, hours.resolve_hours, target)
    counting = hours.counting(issue.priority)
    due = after(hours, counting, now, length)
    deadline = NewClock(
        issue_id=issue.issue_id, kind=kind, department=issue.department, due_at=due,
        warn_at=warn_at(settings, now, due, hours=hours, counting=counting, length=length),
        started_at=now, length_minutes=length.total_seconds() / 60, counting=counting,
    )  # fmt: skip
    if request is not None and target is not None:
        # What the requester was promised: the target met or missed is measured on it.
        setattr(request, f"{kind}_due_at", due)
        session.add(request)
    if on_call_layer is not None and kind == "acknowledge":
        # Before it is said: the one announcement says the clock that runs.
        _on_call(deadline, settings=settings, now=now, layer=on_call_layer)
    return deadline


def insert(session: AsyncSession, clocks: list[NewClock]) -> None:
    """Write new clocks (none of their ids is needed): staged, so that a unit of
    work's clocks go in one INSERT."""
    table = Deadline.__table__  # type: ignore[attr-defined]
    for clock in clocks:
        rows.stage(session, table, clock.columns())


async def start_on_call(
    session: AsyncSession, deadline: Deadline, issue: Issue, *, settings: Settings,
    now: datetime, layer: int,
) -> None:  # fmt: skip
    """The next on-call layer was called (``issue`` as the escalation left it): its
    own acknowledge clock runs from ``now``, and is announced."""
    _on_call(deadline, settings=settings, now=now, layer=layer)
    session.add(deadline)
    await announce(session, deadline, version=issue.version, settings=settings, now=now)


async def next_step(
    session: AsyncSession, deadline: Deadline, issue: Issue, *, due_at: datetime,
    settings: Settings, now: datetime,
) -> None:  # fmt: skip
    """The clock passed and the issue escalated (``issue`` as the escalation left it):
    the next step is due at ``due_at``, and that is announced."""
    deadline.due_at = due_at
    session.add(deadline)
    await announce(session, deadline, version=issue.version, settings=settings, now=now)


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
    deadline = Deadline(
        issue_id=issue.issue_id,
        kind="help",
        help_id=help_id,
        department=department,
        due_at=due_at,
        warn_at=warn_at(settings, now, due_at),
        started_at=now,
        length_minutes=(due_at - now).total_seconds() / 60,
    )
    session.add(deadline)
    await announce(session, deadline, version=issue.version, settings=settings, now=now)


async def running(session: AsyncSession, issue_id: str) -> list[Deadline]:
    """The issue's running clocks, soonest due first."""
    query = select(Deadline).where(Deadline.issue_id == issue_id, Deadline.status == "open")
    return list((await session.exec(query.order_by(col(Deadline.due_at)))).all())


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
