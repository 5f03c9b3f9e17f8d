"""Topic family ``departments``: routing's catalog, replicated to whoever needs it.

Keyed by department name on a compacted topic, so the latest state of every
department is always there for a new consumer to read from the start.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_contracts.calendars import Calendar, InternalTarget, OnCall
from baton_contracts.common import Person
from baton_contracts.envelope import register

DEPARTMENT_UPDATED_V1 = "baton.department.updated.v1"


class DepartmentUpdated(BaseModel):
    department: str
    liaisons: list[Person]
    head: Person  # the department's escalation contact
    updated_at: datetime
    # The department's own time to resolve, in hours (routing's catalog says the same);
    # None: ownership's defaults by priority apply.
    resolve_hours: float | None = None
    # Additive in v1. When the department works (None: around the clock, so every
    # clock counts wall time); who takes urgent issues outside those hours; and how
    # fast it answers other departments' employees.
    calendar: Calendar | None = None
    on_call: OnCall | None = None
    internal_targets: list[InternalTarget] = []

    @property
    def issue_id(self) -> str:
        # The envelope's subject (and Kafka key) for this family is the department.
        return self.department


register(DEPARTMENT_UPDATED_V1, DepartmentUpdated)
