"""A person's working hours: their own calendar if they set one, else their
department's (the first that lists them and has one); none means around the
clock, and then nothing waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from baton_contracts import Calendar
from baton_runtime.workingtime import WorkingCalendar, working_calendar
from sqlalchemy import String, and_, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.directory import service as directory
from baton_notifications.directory.models import DepartmentHours, DirectoryEntry
from baton_notifications.recipients.models import RecipientPreferences


@dataclass(frozen=True)
class Hours:
    calendar: WorkingCalendar | None
    source: str | None  # "own", "department:<name>", or None (around the clock)
    department: str | None  # the department the person is counted in
    quiet: bool  # whether notices that can wait, wait

    def working(self, at: datetime) -> bool:
        return self.calendar is None or self.calendar.is_working(at)

    def hold_until(self, at: datetime) -> datetime | None:
        """When a notice that can wait goes out: None for at once."""
        if not self.quiet or self.calendar is None or self.calendar.is_working(at):
            return None
        return self.calendar.next_start(at)


def _hours(
    prefs: RecipientPreferences | None, listed: list[tuple[str, dict[str, Any] | None]]
) -> Hours:
    """From the person's preferences and their departments' calendars (name order)."""
    first = listed[0][0] if listed else None
    quiet = prefs.quiet_hours if prefs is not None else True
    if prefs is not None and prefs.working_hours:
        own = working_calendar(Calendar.model_validate(prefs.working_hours))
        return Hours(calendar=own, source="own", department=first, quiet=quiet)
    for name, calendar in listed:
        if calendar:
            working = working_calendar(Calendar.model_validate(calendar))
            return Hours(working, f"department:{name}", first, quiet)
    return Hours(calendar=None, source=None, department=first, quiet=quiet)


async def hours_of(
    session: AsyncSession, person_id: str, prefs: RecipientPreferences | None
) -> Hours:
    listed = await directory.calendars_of(session=session, person_ids=[person_id])
    return _hours(prefs, listed[person_id])


async def preferences_and_hours(
    session: AsyncSession, person_id: str
) -> tuple[RecipientPreferences | None, Hours]:
    """The person's preferences (None: never set) and working hours, in one query:
    from the person's id, their preferences, each department listing them, and its
    calendar, joined (one row at least, whoever knows of them)."""
    me = select(literal(person_id, String).label("person_id")).subquery("me")
    query = (
        select(RecipientPreferences, DirectoryEntry.department, DepartmentHours.calendar)
        .select_from(me)
        .outerjoin(RecipientPreferences, col(RecipientPreferences.person_id) == me.c.person_id)
        .outerjoin(
            DirectoryEntry,
            and_(col(DirectoryEntry.person_id) == me.c.person_id, col(DirectoryEntry.active)),
        )
        .outerjoin(DepartmentHours, col(DepartmentHours.department) == DirectoryEntry.department)
        .order_by(col(DirectoryEntry.department))
    )
    found = (await session.exec(query)).all()
    prefs = found[0][0]
    listed = [(department, calendar) for _, department, calendar in found if department]
    return prefs, _hours(prefs, listed)


async def hours_of_many(
    session: AsyncSession, prefs: dict[str, RecipientPreferences | None]
) -> dict[str, Hours]:
    """``hours_of`` for each person ``prefs`` names (their preferences, or None),
    in one query."""
    if not prefs:
        return {}
    listed = await directory.calendars_of(session=session, person_ids=list(prefs))
    return {person_id: _hours(row, listed[person_id]) for person_id, row in prefs.items()}


async def person_hours(session: AsyncSession, person_id: str) -> Hours:
    """``hours_of`` with the person's preferences read here."""
    prefs = await session.get(RecipientPreferences, person_id)
    return await hours_of(session, person_id, prefs)
