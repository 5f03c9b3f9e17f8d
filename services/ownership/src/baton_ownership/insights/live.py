"""The live stall gauges (``baton_ownership.metrics``): a few grouped queries,
run every 15 s in every replica. Each replica reads the same committed rows, so
all report the same numbers (Prometheus: ``max by``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from baton_runtime.db import Database
from sqlalchemy import case, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core import metrics
from baton_ownership.core.models import HelpRequest, IssueOwner
from baton_ownership.core.state import aware, utcnow
from baton_ownership.deadlines.models import Deadline


async def _issues(session: AsyncSession, now: datetime, live: metrics.Live) -> None:
    unacknowledged = func.sum(case((col(IssueOwner.state) == "assigned", 1), else_=0))
    rows = await session.exec(
        select(
            IssueOwner.department,
            IssueOwner.priority,
            func.count(),
            unacknowledged,
            func.min(IssueOwner.department_since),
        )
        .where(IssueOwner.state != "resolved")
        .group_by(IssueOwner.department, IssueOwner.priority)
    )
    for department, priority, n, unacked, since in rows.all():
        key = (department, priority)
        live.open[key] = int(n)
        live.unacknowledged[key] = int(unacked or 0)
        # SQLite's MIN() hands back text; PostgreSQL a datetime.
        began = datetime.fromisoformat(since) if isinstance(since, str) else since
        live.oldest_age_s[key] = max((now - aware(began)).total_seconds(), 0.0)


async def _overdue(session: AsyncSession, now: datetime, live: metrics.Live) -> None:
    """A clock is overdue once it ran out: past due, or escalated at least once (an
    escalation sets the next step's due time ahead), or its chain is exhausted. It
    counts while it still matters: the issue is open, an acknowledge clock's issue
    is not yet acknowledged, a help clock's request is not yet answered."""
    open_help = select(HelpRequest.id).where(HelpRequest.status == "open")
    rows = await session.exec(
        select(Deadline.department, IssueOwner.priority, Deadline.kind, func.count())
        .join(IssueOwner, col(IssueOwner.issue_id) == col(Deadline.issue_id))
        .where(
            col(Deadline.status).in_(("open", "exhausted")),
            or_(col(Deadline.due_at) <= now, col(Deadline.level) > 0),
            IssueOwner.state != "resolved",
            or_(col(Deadline.kind) != "acknowledge", col(IssueOwner.state) == "assigned"),
            or_(col(Deadline.kind) != "help", col(Deadline.help_id).in_(open_help)),
            # A hand-off restarts the clocks: the old department's no longer counts.
            or_(col(Deadline.kind) == "help", Deadline.department == IssueOwner.department),
        )
        .group_by(Deadline.department, IssueOwner.priority, Deadline.kind)
    )
    for department, priority, kind, n in rows.all():
        live.overdue[(department, priority, kind)] = int(n)


async def measure(*, db: Database, clock: Callable[[], datetime] = utcnow) -> metrics.Live:
    """Refresh the gauges from the committed rows; a department and priority with
    nothing open drops out (its series ends)."""
    live = metrics.Live()
    now = clock()
    async with db.session() as session:
        await _issues(session, now, live)
        await _overdue(session, now, live)
    metrics.live = live  # swapped whole: the exporter may read it meanwhile
    return live
