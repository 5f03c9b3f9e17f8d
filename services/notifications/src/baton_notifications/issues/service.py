"""Keeping the copy of each issue: what was reported, then what ownership says.
The two topics are read by different consumers, so either may come first: each
fills in only its own columns."""

from __future__ import annotations

from typing import Any

from baton_contracts import IssueReported, OwnerAssigned
from baton_runtime.db import upsert
from sqlalchemy import func
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.issues.models import KEPT_CHARS, IssueCopy


def reference_of(issue_id: str) -> str:
    """The reference people quote (intake's ``BTN-`` and the id's first 8 hex digits)."""
    return "BTN-" + issue_id.replace("-", "")[:8].upper()


async def remember(session: AsyncSession, reported: IssueReported) -> None:
    """What was reported, in one statement whether or not ownership came first."""
    values = dict(
        reference=reported.reference or reference_of(reported.issue_id),
        subject=reported.subject,
        description=reported.description[:KEPT_CHARS],
        channel=reported.channel,
        priority=reported.priority,
        internal=reported.internal,
        reporter_department=reported.reporter.department,
        language=reported.language,
        reported_at=reported.reported_at,
    )
    table = IssueCopy.__table__  # type: ignore[attr-defined]
    stmt = upsert(session, IssueCopy).values(issue_id=reported.issue_id, **values)
    # Routing may have changed the priority, and ownership said so first.
    values["priority"] = func.coalesce(table.c.priority, reported.priority)
    await session.exec(stmt.on_conflict_do_update(index_elements=["issue_id"], set_=values))


async def follow(session: AsyncSession, assigned: OwnerAssigned) -> IssueCopy:
    """The new owner and department; the reason and clocks where the event says them.
    One statement: the row is created or updated and read back (RETURNING), so the
    notice can say what the issue is without reading it again."""
    values: dict[str, Any] = {"owner_id": assigned.owner.id, "department": assigned.department}
    if assigned.priority:
        values["priority"] = assigned.priority  # routing may have raised it
    if assigned.routing_reason:
        values["routing_reason"] = assigned.routing_reason
    if assigned.via in ("routing", "handoff"):  # the clocks they start (a hand-off: none to ack)
        values["acknowledge_due_at"] = assigned.acknowledge_due_at
    elif assigned.acknowledge_due_at:
        # An escalation (the next on-call layer, the head) restarts the clock and says so.
        values["acknowledge_due_at"] = assigned.acknowledge_due_at
    if assigned.resolve_due_at:
        values["resolve_due_at"] = assigned.resolve_due_at
    stmt = (
        upsert(session, IssueCopy)
        .values(issue_id=assigned.issue_id, reference=reference_of(assigned.issue_id), **values)
        .on_conflict_do_update(index_elements=["issue_id"], set_=values)
        .returning(IssueCopy)
    )
    # populate_existing: a copy this session read earlier is refreshed, not stale.
    result = await session.exec(stmt, execution_options={"populate_existing": True})  # type: ignore[call-overload]
    return result.scalars().one()


async def copy_of(session: AsyncSession, issue_id: str) -> IssueCopy:
    """The copy, or an empty one that knows only the reference (an issue whose
    report was not read yet, or that came from elsewhere)."""
    found = await session.get(IssueCopy, issue_id)
    return found or IssueCopy(issue_id=issue_id, reference=reference_of(issue_id))
