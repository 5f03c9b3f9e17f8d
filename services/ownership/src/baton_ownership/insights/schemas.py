"""Insights' API bodies: scorecards and stall lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Durations(BaseModel):
    count: int
    median_minutes: float | None
    p90_minutes: float | None


class PersonInterrupts(BaseModel):
    person_id: str
    issues_within_working_hours: int
    issues_outside_working_hours: int
    issues_per_working_hour: float | None


class Interrupts(BaseModel):
    """Issues the department's people received (became owners of), within its
    working hours and outside them. Notices are counted by notifications
    (``GET /v1/interrupts`` there)."""

    working_hours: float  # in the period, by the department's calendar (all, without one)
    hours_outside_working_hours: float
    issues_within_working_hours: int
    issues_outside_working_hours: int
    issues_per_working_hour: float | None
    issues_per_hour_outside_working_hours: float | None
    people: list[PersonInterrupts]


class PairRequests(BaseModel):
    department: str | None  # the other department: who asked, or who served
    count: int
    resolved: int
    median_working_minutes_to_resolve: float | None


class InternalRequests(BaseModel):
    """Internal customers' requests routed in the period: counts, times on the
    clock and in the serving department's working time, targets met or missed."""

    count: int
    resolved: int
    time_to_acknowledge: Durations
    working_time_to_acknowledge: Durations
    time_to_resolve: Durations
    working_time_to_resolve: Durations
    targets_met: int
    targets_missed: int
    by_department: list[PairRequests]


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
    interrupts: Interrupts | None = None
    # Internal requests the department served (by requesting department), and the
    # ones its own people made of others (by serving department).
    internal_requests_served: InternalRequests | None = None
    internal_requests_made: InternalRequests | None = None
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
