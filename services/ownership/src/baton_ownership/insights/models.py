"""Each stay of an issue in a department: what the scorecards and stall lists
are computed from (the same stays the ``department <name>`` spans show)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Field, SQLModel


class Stay(SQLModel, table=True):
    __tablename__ = "department_stays"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    department: str = Field(index=True, max_length=64)
    hop: int
    via: str = Field(max_length=16)  # routing | handoff | reopen
    started_at: datetime = Field(index=True)
    acknowledged_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16)  # handed_off | resolved


class Durations(BaseModel):
    count: int
    median_minutes: float | None
    p90_minutes: float | None


class Scorecard(BaseModel):
    department: str
    since: datetime
    until: datetime
    time_to_acknowledge: Durations
    time_to_resolve: Durations
    handoffs_in: int
    handoffs_out: int
    declines: int
    help_requests_answered: int
    help_requests_answered_on_time: int
    help_requests_overdue_open: int


class Stall(BaseModel):
    issue_id: str
    department: str
    owner_id: str
    state: str
    age_minutes: float  # in its current department
    handoffs: int
    pending_handoff_to: str | None
    next_deadline: str | None  # acknowledge | resolve | help
    next_due_at: datetime | None
    overdue: bool
    escalation_level: int
