"""Working time: arithmetic over a department's (or a person's) calendar, and who
is on call. Pure functions of aware datetimes; the calendars themselves are
plain data in ``baton_contracts.calendars``."""

from baton_runtime.workingtime.calendar import (
    ClosedDay,
    NoWorkingTime,
    WorkingCalendar,
    working_calendar,
)
from baton_runtime.workingtime.oncall import on_call
from baton_runtime.workingtime.public_holidays import check_public_holidays

__all__ = [
    "ClosedDay",
    "NoWorkingTime",
    "WorkingCalendar",
    "check_public_holidays",
    "on_call",
    "working_calendar",
]
