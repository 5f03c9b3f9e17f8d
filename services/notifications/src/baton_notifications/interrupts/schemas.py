"""The interrupt load's API body."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PersonNotices(BaseModel):
    person_id: str
    within_working_hours: int
    outside_working_hours: int
    per_working_hour: float | None  # by their own working hours


class NoticeLoad(BaseModel):
    """Notices that reached a department's people in a period (each notice once)."""

    department: str
    since: datetime
    until: datetime
    working_hours: float  # the department's, in the period (all hours, without a calendar)
    hours_outside_working_hours: float
    within_working_hours: int
    outside_working_hours: int
    per_working_hour: float | None
    per_hour_outside_working_hours: float | None
    held_for_quiet_hours: int  # of them, waited for the person's working hours
    people: list[PersonNotices]
