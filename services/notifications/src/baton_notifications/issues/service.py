"""Keeping the copy of each issue: what was reported, then what ownership says.
The two topics are read by different consumers, so either may come first: each
fills in only its own columns.

The upserts are Core statements built once per database (and, for an
assignment, per set of columns it says), run with the event's values; a
report's is staged, so that a unit of work's reports are written together.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from baton_contracts import IssueReported, OwnerAssigned
from baton_runtime import rows
from baton_runtime.db import dialect, upsert_for
from baton_runtime.rows import execute
from sqlalchemy import func
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.issues.models import KEPT_CHARS, IssueCopy

_COPIES = IssueCopy.__table__  # type: ignore[attr-defined]
# What a report says of the issue (every column it writes but the id).
_REPORTED = (
    "reference", "subject", "description", "channel", "priority", "internal",
    "reporter_department", "language", "reported_at",
)  # fmt: skip


def reference_of(issue_id: str) -> str:
    """The reference people quote (intake's ``BTN-`` and the id's first 8 hex digits)."""
    return "BTN-" + issue_id.replace("-", "")[:8].upper()


@cache
def _remember_statement(dialect: str) -> Executable:
    insert = upsert_for(dialect, _COPIES)
    values = {name: insert.excluded[name] for name in _REPORTED}
    # Routing may have changed the priority, and ownership said so first.
    values["priority"] = func.coalesce(_COPIES.c.priority, insert.excluded.priority)
    return insert.on_conflict_do_update(index_elements=["issue_id"], set_=values)


@cache
def _follow_statement(dialect: str, columns: tuple[str, ...]) -> Executable:
    """The assignment's upsert, setting ``columns`` on an existing copy (an
    event's absent values leave the copy's as they were), read back whole."""
    insert = upsert_for(dialect, _COPIES)
    values = {name: insert.excluded[name] for name in columns}
    return insert.on_conflict_do_update(index_elements=["issue_id"], set_=values).returning(
        *_COPIES.c
    )


def _forget(session: AsyncSession, issue_id: str) -> None:
    """Drop a copy this session read before the upsert (``copy_of``), so that the
    next read of it in this transaction sees the upsert's values, not stale ones."""
    sync = session.sync_session
    held = sync.identity_map.get(identity_key(IssueCopy, issue_id))
    if held is not None:
        sync.expunge(held)


async def remember(session: AsyncSession, reported: IssueReported) -> None:
    """What was reported, by one upsert whether or not ownership came first. It is
    staged (``rows.stage``): a unit of work of many reports writes all their
    copies in one execution, before its commit or before anything here reads the
    copies in the same transaction."""
    values = dict(
        issue_id=reported.issue_id,
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
    _forget(session, reported.issue_id)
    rows.stage(session, _COPIES, values, _remember_statement(dialect(session)))


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
    statement = _follow_statement(dialect(session), tuple(values))
    _forget(session, assigned.issue_id)
    [row] = await execute(
        session,
        statement,
        {"issue_id": assigned.issue_id, "reference": reference_of(assigned.issue_id), **values},
    )
    # Not in the session: nothing writes a copy back through the ORM.
    return IssueCopy(**row._mapping)


async def copy_of(session: AsyncSession, issue_id: str) -> IssueCopy:
    """The copy, or an empty one that knows only the reference (an issue whose
    report was not read yet, or that came from elsewhere)."""
    found = await session.get(IssueCopy, issue_id)
    return found or IssueCopy(issue_id=issue_id, reference=reference_of(issue_id))
