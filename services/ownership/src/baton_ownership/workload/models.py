"""What ownership keeps of the work that lands on departments: every issue a
person received (the interrupts), and every internal customer's request from
routing to resolution."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class ReceivedIssue(SQLModel, table=True):
    """A person became an issue's owner: an interruption, within working hours or not."""

    __tablename__ = "received_issues"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    department: str = Field(index=True, max_length=64)
    person_id: str = Field(max_length=128)
    via: str = Field(max_length=16)  # routing | handoff | rebalance | escalation
    at: datetime = Field(index=True)
    # Within the department's working hours then (always, for one without a calendar).
    working_hours: bool = True


class InternalRequest(SQLModel, table=True):
    """An employee's request to another department, from routing to resolution."""

    __tablename__ = "internal_requests"

    issue_id: str = Field(primary_key=True, max_length=36)
    requester_id: str | None = Field(default=None, max_length=200)
    requester_department: str | None = Field(default=None, index=True, max_length=64)
    department: str = Field(index=True, max_length=64)  # who serves it now (the last)
    routed_at: datetime = Field(index=True)
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = Field(default=None, index=True)
    # Working time the serving departments took (their calendars), once known.
    acknowledge_working_minutes: float | None = None
    resolve_working_minutes: float | None = None
    # The serving department's target for the requester's department, if it has one.
    acknowledge_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
