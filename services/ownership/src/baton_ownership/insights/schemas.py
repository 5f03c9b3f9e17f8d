"""Insights' API bodies: scorecards and stall lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Durations(BaseModel):
    count: int
    median_minutes: float | None
    p90_minutes: float | None


class Ratings(BaseModel):
    """Reporters' ratings (1-5) of the issues resolved, by when they rated them."""

    count: int
    average: float | None


class Satisfaction(Ratings):
    # The same, per person who held the issue when it was rated (the liaison who resolved it).
    by_owner: dict[str, Ratings] = {}


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
    satisfaction: Satisfaction = Satisfaction(count=0, average=None)


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
