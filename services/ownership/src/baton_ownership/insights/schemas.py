"""Insights' API bodies: scorecards and stall lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


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
