"""Recording an event in the journal and recomputing its issue's rows.

Each issue's rows are rebuilt from its whole journal under a lock on its row,
so two consumers (say, of ``issues.reported`` and ``issues.ownership``) adding
events to the same issue at once take turns, and neither's write hides the other's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from baton_contracts import DepartmentUpdated, Envelope, IssueRouted, Person
from baton_runtime.db import upsert
from sqlmodel import SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.projection.fold import MODELS, Entry, Folded, fold
from baton_workspace.projection.models import (
    Act,
    DepartmentView,
    HelpView,
    IssueAccess,
    IssueEvent,
    IssueView,
    Rating,
    Stay,
)

# Older than any real update: a department row made only to be locked and filled.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_Row = TypeVar("_Row", bound=SQLModel)


def kind_of(event_type: str) -> str:
    """``baton.issue.owner_assigned.v1`` -> ``owner_assigned`` (``routed.v1`` and ``.v2`` alike)."""
    parts = event_type.split(".")
    return parts[2] if len(parts) >= 4 else event_type


async def _insert_ignoring_conflict(
    session: AsyncSession, model: type[SQLModel], **values: object
) -> bool:
    """INSERT the row unless its primary key exists; True if it was inserted."""
    statement = upsert(session, model).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)


async def record(session: AsyncSession, envelope: Envelope) -> str | None:
    """Journal an issue event and rebuild its issue; the issue id, or None when the
    event is not one the workspace shows."""
    issue_id = await write_down(session, envelope)
    if issue_id is None:
        return None
    await rebuild(session, issue_id)
    event = envelope.payload()
    if isinstance(event, IssueRouted):
        # The roster the decision was made with: the catalog as of then.
        await roster(
            session, department=event.department, head=event.head, liaisons=event.liaisons,
            as_of=event.routed_at,
        )  # fmt: skip
    return issue_id


async def write_down(session: AsyncSession, envelope: Envelope) -> str | None:
    """Put the event in its issue's journal (once) and lock the issue for the
    rebuild that must follow in this transaction; None for an event not shown."""
    kind = kind_of(envelope.type)
    if kind not in MODELS:
        return None
    event = envelope.payload()
    issue_id: str = event.issue_id  # type: ignore[attr-defined]
    entry = Entry.of(event_id=envelope.id, kind=kind, data=event.model_dump(mode="json"))
    await _insert_ignoring_conflict(session, IssueView, issue_id=issue_id)
    # The lock: whoever rebuilds this issue next waits for this transaction.
    await session.exec(select(IssueView).where(IssueView.issue_id == issue_id).with_for_update())
    await _insert_ignoring_conflict(
        session, IssueEvent, event_id=envelope.id, issue_id=issue_id, kind=kind,
        version=entry.version, at=entry.at, data=event.model_dump(mode="json"),
    )  # fmt: skip
    return issue_id


async def journal(session: AsyncSession, issue_id: str) -> list[Entry]:
    rows = await session.exec(select(IssueEvent).where(IssueEvent.issue_id == issue_id))
    return [Entry.of(event_id=r.event_id, kind=r.kind, data=r.data) for r in rows.all()]


async def load(session: AsyncSession, issue_id: str) -> Folded | None:
    entries = await journal(session, issue_id)
    return fold(issue_id, entries) if entries else None


async def rebuild(session: AsyncSession, issue_id: str) -> Folded:
    issue = fold(issue_id, await journal(session, issue_id))
    view = await session.get(IssueView, issue_id, populate_existing=True) or IssueView(
        issue_id=issue_id
    )
    for name, value in view_values(issue).items():
        setattr(view, name, value)
    session.add(view)
    for model in (IssueAccess, Stay, Act, HelpView, Rating):
        await session.exec(delete(model).where(col(model.issue_id) == issue_id))  # type: ignore[attr-defined]
    session.add_all(IssueAccess(issue_id=issue_id, department=d) for d in sorted(issue.departments))
    session.add_all(
        _row(
            Stay,
            issue_id,
            s,
            credited_to=s.acknowledged_by or s.owner_id,
            acknowledge_minutes=_minutes(s.started_at, s.acknowledged_at),
            resolve_minutes=_minutes(s.started_at, s.ended_at) if s.outcome == "resolved" else None,
        )
        for s in issue.stays
    )
    session.add_all(_row(Act, issue_id, a, seq=n) for n, a in enumerate(issue.acts, start=1))
    session.add_all(_row(HelpView, issue_id, h) for h in issue.helps.values())
    if issue.rating is not None:
        department, person = issue.rated_for
        session.add(
            Rating(
                issue_id=issue_id, department=department, person_id=person,
                rating=issue.rating.rating, commented=bool((issue.rating.comment or "").strip()),
                rated_at=issue.rating.rated_at,
            )
        )  # fmt: skip
    await session.flush()
    return issue


def _row(model: type[_Row], issue_id: str, folded: object, **more: object) -> _Row:
    """The table's row for one of the fold's: the fields the table has, and ``more``."""
    kept = {name: value for name, value in vars(folded).items() if name in model.model_fields}
    return model(issue_id=issue_id, **kept, **more)


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 60


def view_values(issue: Folded) -> dict[str, object]:
    reported = issue.reported
    decision = issue.decision
    nxt = issue.next_deadline
    pending = issue.pending
    return {
        "reference": reported.reference if reported else None,
        "subject": (reported.subject if reported else "")[:500],
        "channel": reported.channel if reported else "",
        "reporter_kind": reported.reporter.kind if reported else "",
        "internal": bool(reported and (reported.internal or reported.reporter.kind == "employee")),
        "priority": decision.priority
        if decision
        else (reported.priority if reported else "normal"),
        "reported_at": reported.reported_at if reported else None,
        "routed_department": decision.department if decision else None,
        "department": issue.department,
        "owner_id": issue.owner_id,
        "owner_name": issue.owner_name,
        "state": issue.state,
        "version": issue.version,
        "hop": issue.hop,
        "department_since": issue.department_since,
        "acknowledged_at": issue.acknowledged_at,
        "resolved_at": issue.resolved_at,
        "pending_handoff_id": pending.handoff_id if pending else None,
        "pending_to_department": pending.to_department if pending else None,
        "pending_to_person_id": pending.to_person_id if pending else None,
        "next_deadline": nxt[0] if nxt else None,
        "next_due_at": nxt[1] if nxt else None,
        "escalation_level": issue.escalation_level,
        "silo_alarms": issue.silo_alarms,
        "declines": issue.declines,
        "updated_at": issue.updated_at,
    }


async def department_updated(session: AsyncSession, event: DepartmentUpdated) -> None:
    """Keep the newest word on a department; an older one changes nothing."""
    row = await roster(
        session, department=event.department, head=event.head, liaisons=event.liaisons,
        as_of=event.updated_at,
    )  # fmt: skip
    if row.targets_as_of is None or row.targets_as_of <= event.updated_at:
        row.internal_targets = [t.model_dump(mode="json") for t in event.internal_targets]
        row.targets_as_of = event.updated_at
        session.add(row)


async def roster(
    session: AsyncSession, *, department: str, head: Person, liaisons: list[Person], as_of: datetime
) -> DepartmentView:
    await _insert_ignoring_conflict(
        session, DepartmentView, name=department, head_id=head.id, head_name=head.name,
        liaisons=[], updated_at=NEVER,
    )  # fmt: skip
    row = (
        await session.exec(
            select(DepartmentView).where(DepartmentView.name == department).with_for_update()
        )
    ).one()
    if row.updated_at > as_of:
        return row
    row.head_id, row.head_name, row.updated_at = head.id, head.name, as_of
    row.liaisons = [{"id": p.id, "name": p.name} for p in liaisons]
    session.add(row)
    return row
