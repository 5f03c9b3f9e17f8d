"""Keeping the copy of each issue: what was reported, then what ownership says.
The two topics are read by different consumers, so either may come first: each
fills in only its own columns."""

from __future__ import annotations

from baton_contracts import IssueReported, OwnerAssigned
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.issues.models import KEPT_CHARS, IssueCopy


def reference_of(issue_id: str) -> str:
    """The reference people quote (intake's ``BTN-`` and the id's first 8 hex digits)."""
    return "BTN-" + issue_id.replace("-", "")[:8].upper()


async def _row(session: AsyncSession, issue_id: str) -> IssueCopy:
    found = await session.get(IssueCopy, issue_id)
    return found or IssueCopy(issue_id=issue_id, reference=reference_of(issue_id))


async def remember(session: AsyncSession, reported: IssueReported) -> None:
    row = await _row(session, reported.issue_id)
    row.reference = reported.reference or reference_of(reported.issue_id)
    row.subject = reported.subject
    row.description = reported.description[:KEPT_CHARS]
    # Routing may have changed the priority, and ownership said so first.
    row.channel, row.priority = reported.channel, row.priority or reported.priority
    row.internal, row.reporter_department = reported.internal, reported.reporter.department
    row.language, row.reported_at = reported.language, reported.reported_at
    session.add(row)


async def follow(session: AsyncSession, assigned: OwnerAssigned) -> IssueCopy:
    """The new owner and department; the reason and clocks where the event says them."""
    row = await _row(session, assigned.issue_id)
    row.owner_id, row.department = assigned.owner.id, assigned.department
    if assigned.priority:
        row.priority = assigned.priority  # routing may have raised it
    if assigned.routing_reason:
        row.routing_reason = assigned.routing_reason
    if assigned.via in ("routing", "handoff"):  # the clocks they start (a hand-off: none to ack)
        row.acknowledge_due_at = assigned.acknowledge_due_at
    elif assigned.acknowledge_due_at:
        # An escalation (the next on-call layer, the head) restarts the clock and says so.
        row.acknowledge_due_at = assigned.acknowledge_due_at
    if assigned.resolve_due_at:
        row.resolve_due_at = assigned.resolve_due_at
    session.add(row)
    return row


async def copy_of(session: AsyncSession, issue_id: str) -> IssueCopy:
    """The copy, or an empty one that knows only the reference (an issue whose
    report was not read yet, or that came from elsewhere)."""
    found = await session.get(IssueCopy, issue_id)
    return found or IssueCopy(issue_id=issue_id, reference=reference_of(issue_id))
