"""Where issues stall, per department: open, unacknowledged, the oldest, overdue,
hand-offs waiting for another department, declines and silo alarms (30 days);
and the issues waiting longest. Aggregates and references only: no customer's
words or identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.projection.models import Act, IssueView

OPEN = ("assigned", "acknowledged")
LONGEST = 15


@dataclass(frozen=True)
class Filters:
    department: str = ""
    priority: str = ""
    kind: str = ""  # internal | customer | ""

    def where(self, *, department: bool = True) -> list[Any]:
        """The conditions on issues (``department=False``: all but the department's)."""
        found: list[Any] = []
        if department and self.department:
            found.append(IssueView.department == self.department)
        if self.priority:
            found.append(IssueView.priority == self.priority)
        if self.kind:
            found.append(IssueView.internal == (self.kind == "internal"))
        return found


@dataclass
class Row:
    department: str
    open: int = 0
    unacknowledged: int = 0
    oldest_since: datetime | None = None
    overdue: int = 0
    handoffs_out: int = 0
    declines: int = 0
    silo_alarms: int = 0


async def board(
    session: AsyncSession, *, now: datetime, filters: Filters, departments: list[str]
) -> list[Row]:
    rows = {d: Row(d) for d in departments if not filters.department or d == filters.department}
    counted = await session.exec(
        select(  # type: ignore[call-overload]
            IssueView.department,
            func.count(),
            func.sum(case((IssueView.state == "assigned", 1), else_=0)),
            func.min(IssueView.department_since),
            func.sum(case((col(IssueView.next_due_at) < now, 1), else_=0)),
            func.sum(case((col(IssueView.pending_to_department).is_not(None), 1), else_=0)),
        )
        .where(col(IssueView.state).in_(OPEN), *filters.where())
        .group_by(IssueView.department)
    )
    for department, n, unacked, oldest, overdue, out in counted.all():
        row = rows.setdefault(department, Row(department))
        row.open, row.unacknowledged, row.overdue, row.handoffs_out = n, unacked, overdue, out
        row.oldest_since = oldest
    acts = await session.exec(
        select(Act.department, Act.kind, func.count())  # type: ignore[call-overload]
        .join(IssueView, col(IssueView.issue_id) == col(Act.issue_id))
        .where(Act.at >= now - timedelta(days=30), col(Act.kind).in_(["declined", "silo_alarm"]))
        .where(*filters.where(department=False))
        .group_by(Act.department, Act.kind)
    )
    for department, kind, n in acts.all():
        if filters.department and department != filters.department:
            continue
        row = rows.setdefault(department, Row(department))
        if kind == "declined":
            row.declines = n
        else:
            row.silo_alarms = n
    return sorted(rows.values(), key=lambda r: (-r.open, r.department))


async def longest_waiting(session: AsyncSession, *, filters: Filters) -> list[IssueView]:
    rows = await session.exec(
        select(IssueView)
        .where(col(IssueView.state).in_(OPEN), *filters.where())
        .order_by(col(IssueView.department_since), col(IssueView.issue_id))
        .limit(LONGEST)
    )
    return list(rows.all())
