"""The workspace's read model, built only from the events it consumes.

``issue_events`` is the journal: every event about an issue, once (by event id).
Everything else about an issue (``issue_views``, ``stays``, ``acts``, ``help_views``,
``issue_access``, ``issue_ratings``) is recomputed from its journal whenever an event
arrives (``fold``), so replays and out-of-order arrivals give the same rows.
``department_views`` keeps the newest ``DepartmentUpdated`` per department.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel


class IssueEvent(SQLModel, table=True):
    __tablename__ = "issue_events"

    event_id: str = Field(primary_key=True, max_length=64)
    issue_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=32)  # the event type's name: reported, owner_assigned, ...
    version: int | None = None  # ownership's version of the issue after the change
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class IssueView(SQLModel, table=True):
    """One issue as every list shows it."""

    __tablename__ = "issue_views"
    __table_args__ = (
        Index("ix_issue_views_owner_due", "owner_id", "next_due_at"),
        Index("ix_issue_views_department_state", "department", "state"),
    )

    issue_id: str = Field(primary_key=True, max_length=64)
    reference: str | None = Field(default=None, max_length=64)
    subject: str = Field(default="", max_length=500)
    channel: str = Field(default="", max_length=32)
    reporter_kind: str = Field(default="", max_length=16)
    internal: bool = False
    priority: str = Field(default="normal", max_length=16, index=True)
    reported_at: datetime | None = None
    # Set once routing decided; ``department`` is where the issue is now.
    routed_department: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=64)
    owner_id: str | None = Field(default=None, max_length=128)
    owner_name: str | None = Field(default=None, max_length=200)
    # reported | routed | assigned | acknowledged | resolved
    state: str = Field(default="reported", max_length=16, index=True)
    version: int = 0
    hop: int = 0
    department_since: datetime | None = Field(default=None, index=True)
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    pending_handoff_id: int | None = None
    pending_to_department: str | None = Field(default=None, max_length=64, index=True)
    pending_to_person_id: str | None = Field(default=None, max_length=128)
    # The clock that runs out next: acknowledge (while assigned), else resolve.
    next_deadline: str | None = Field(default=None, max_length=16)
    next_due_at: datetime | None = None
    escalation_level: int = 0
    silo_alarms: int = 0
    declines: int = 0
    updated_at: datetime | None = None


class IssueAccess(SQLModel, table=True):
    """The departments that may see an issue: each that held it, was asked to
    take it or to help with it."""

    __tablename__ = "issue_access"

    issue_id: str = Field(primary_key=True, max_length=64)
    department: str = Field(primary_key=True, max_length=64, index=True)


class Stay(SQLModel, table=True):
    """One stay of an issue in a department: the journey's picture and the scorecards."""

    __tablename__ = "stays"

    issue_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    department: str = Field(max_length=64, index=True)
    via: str = Field(max_length=16)  # routing | handoff | reopen
    owner_id: str = Field(max_length=128, index=True)  # who held it last in this stay
    started_at: datetime = Field(index=True)
    acknowledge_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = Field(default=None, max_length=128)
    ended_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16)  # handed_off | resolved
    ended_by: str | None = Field(default=None, max_length=128)
    # Kept ready for the scorecards, which aggregate them in the database: who is
    # credited with taking the issue (who acknowledged, else who held it), and the
    # minutes to acknowledge and (for a stay that ended resolved) to resolve.
    credited_to: str = Field(default="", max_length=128)
    acknowledge_minutes: float | None = None
    resolve_minutes: float | None = None


class Act(SQLModel, table=True):
    """What a department (and a person in it) did that its scorecard counts:
    declined a hand-off, answered a help request, raised a silo alarm."""

    __tablename__ = "acts"

    issue_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=32)  # declined | help_answered | silo_alarm | escalated
    department: str = Field(max_length=64, index=True)
    person_id: str = Field(max_length=128)
    at: datetime = Field(index=True)
    on_time: bool | None = None


class Rating(SQLModel, table=True):
    """The reporter's rating of an issue (one per issue: the first given), counted
    for the department and the person that resolved it. The comment's words stay
    in the journal; the scorecards count only that there was one."""

    __tablename__ = "issue_ratings"

    issue_id: str = Field(primary_key=True, max_length=64)
    department: str = Field(default="", max_length=64, index=True)  # "" until it is known
    person_id: str = Field(default="", max_length=128)
    rating: int
    commented: bool = False
    rated_at: datetime = Field(index=True)


class HelpView(SQLModel, table=True):
    __tablename__ = "help_views"

    issue_id: str = Field(primary_key=True, max_length=64)
    help_id: int = Field(primary_key=True)
    helping_department: str = Field(max_length=64, index=True)
    requested_by: str = Field(max_length=128)
    question: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    requested_at: datetime
    due_at: datetime | None = None
    status: str = Field(default="open", max_length=16)  # open | answered
    answered_by: str | None = Field(default=None, max_length=128)
    answered_at: datetime | None = None
    on_time: bool | None = None


class DepartmentView(SQLModel, table=True):
    """The newest ``DepartmentUpdated`` of a department: its liaisons and head."""

    __tablename__ = "department_views"

    name: str = Field(primary_key=True, max_length=64)
    head_id: str = Field(max_length=128)
    head_name: str = Field(max_length=200)
    # [{"id", "name"}]: no addresses kept; the workspace shows names only.
    liaisons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    updated_at: datetime
    # Its targets for other departments' requests ([{"requester", "acknowledge_hours",
    # "resolve_hours"}]), as of the newest DepartmentUpdated (a routing decision's
    # roster carries none, so they keep their own time).
    internal_targets: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    targets_as_of: datetime | None = None
