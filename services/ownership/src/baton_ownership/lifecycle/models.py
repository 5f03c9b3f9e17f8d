"""Hand-offs, help requests and the history of every change to an issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from baton_ownership.assignment.models import State, utcnow

HandoffStatus = Literal["requested", "accepted", "declined", "cancelled"]


class Handoff(SQLModel, table=True):
    __tablename__ = "handoffs"
    __table_args__ = (
        # At most one hand-off waiting for an answer per issue.
        Index(
            "uq_handoffs_one_pending",
            "issue_id",
            unique=True,
            postgresql_where=text("status = 'requested'"),
            sqlite_where=text("status = 'requested'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    from_department: str = Field(max_length=64)
    from_owner_id: str = Field(max_length=128)
    to_department: str = Field(max_length=64)
    to_person_id: str | None = Field(default=None, max_length=128)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="requested", max_length=16)
    decline_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    requested_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=128)


class HelpRequest(SQLModel, table=True):
    __tablename__ = "help_requests"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    requested_by: str = Field(max_length=128)
    requesting_department: str = Field(max_length=64)
    helping_department: str = Field(max_length=64)
    question: str = Field(sa_column=Column(Text, nullable=False))
    due_at: datetime
    status: str = Field(default="open", max_length=16)  # open | answered
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_by: str | None = Field(default=None, max_length=128)
    answered_at: datetime | None = None
    requested_at: datetime = Field(default_factory=utcnow)


class HistoryEntry(SQLModel, table=True):
    __tablename__ = "issue_history"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    action: str = Field(max_length=32)
    actor_id: str = Field(max_length=128)
    department: str = Field(max_length=64)
    owner_id: str = Field(max_length=128)
    version: int
    at: datetime = Field(default_factory=utcnow)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


# ---- request and response bodies -------------------------------------------------


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int = PydanticField(ge=1, description="The version you saw; a stale one is a 409.")


class AcknowledgeIn(_Change):
    pass


class HandoffIn(_Change):
    to_department: str = PydanticField(min_length=1, max_length=64)
    to_person_id: str | None = PydanticField(default=None, min_length=1, max_length=128)
    reason: str = PydanticField(min_length=1, max_length=2000)


class DecideHandoffIn(_Change):
    pass


class DeclineIn(_Change):
    reason: str = PydanticField(min_length=1, max_length=2000)
    # Where it belongs instead, if the decliner knows; without it, routing is asked again.
    suggested_department: str | None = PydanticField(default=None, min_length=1, max_length=64)


class HelpIn(_Change):
    department: str = PydanticField(min_length=1, max_length=64)
    question: str = PydanticField(min_length=1, max_length=5000)
    due_in_hours: float = PydanticField(default=24, gt=0, le=24 * 30)


class AnswerIn(_Change):
    answer: str = PydanticField(min_length=1, max_length=5000)


class ResolveIn(_Change):
    resolution: str = PydanticField(min_length=1, max_length=5000)


class ReopenIn(_Change):
    reason: str = PydanticField(min_length=1, max_length=2000)


class HandoffPublic(BaseModel):
    id: int
    to_department: str
    to_person_id: str | None
    from_owner_id: str
    reason: str
    status: HandoffStatus
    requested_at: datetime


class HelpPublic(BaseModel):
    id: int
    helping_department: str
    requested_by: str
    due_at: datetime
    status: Literal["open", "answered"]


class IssueState(BaseModel):
    issue_id: str
    department: str
    owner_id: str
    state: State
    version: int
    hop: int
    priority: str
    assigned_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    pending_handoff: HandoffPublic | None
    open_help_requests: list[HelpPublic]


class HistoryPublic(BaseModel):
    action: str
    actor_id: str
    department: str
    owner_id: str
    version: int
    at: datetime
    details: dict[str, Any]
