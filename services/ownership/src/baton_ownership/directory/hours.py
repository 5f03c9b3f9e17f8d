"""A department's working time as the catalog last said it: its calendar, who is
on call outside it, its targets for other departments' requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from baton_contracts import Calendar, InternalTarget, OnCall
from baton_runtime.workingtime import WorkingCalendar, on_call, working_calendar
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.directory.models import DepartmentPolicy

# Low and normal priority can wait for working hours; high and urgent cannot.
WORKING_TIME_PRIORITIES = frozenset({"low", "normal"})


@dataclass(frozen=True)
class Hours:
    department: str
    calendar: WorkingCalendar | None = None  # None: around the clock
    schedule: OnCall | None = None
    targets: dict[str, InternalTarget] = field(default_factory=dict)
    resolve_hours: float | None = None

    def working(self, at: datetime) -> bool:
        return self.calendar is None or self.calendar.is_working(at)

    def counting(self, priority: str) -> str:
        """What the department's clocks for this priority count: working or wall time."""
        working = self.calendar is not None and priority in WORKING_TIME_PRIORITIES
        return "working" if working else "wall"

    def on_call(self, at: datetime) -> list[str]:
        """Who is on call at ``at``, layer by layer (none without a schedule)."""
        if self.schedule is None or self.calendar is None:
            return []
        return [person for _, person in on_call(self.schedule, self.calendar.zone, at)]


async def hours_of(session: AsyncSession, department: str) -> Hours:
    return hours_from(department, await session.get(DepartmentPolicy, department))


def hours_from(department: str, policy: Any) -> Hours:
    """The department's hours from its policy as read (a row or the model; None: none kept)."""
    if policy is None:
        return Hours(department=department)
    calendar = Calendar.model_validate(policy.calendar) if policy.calendar else None
    return Hours(
        department=department,
        calendar=working_calendar(calendar) if calendar else None,
        schedule=OnCall.model_validate(policy.on_call) if policy.on_call else None,
        targets={
            t.requester: t
            for t in (InternalTarget.model_validate(x) for x in policy.internal_targets or [])
        },
        resolve_hours=policy.resolve_hours,
    )
