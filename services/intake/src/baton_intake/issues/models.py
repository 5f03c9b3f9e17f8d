"""What intake stores: the normalized issue as it was reported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from baton_shared.events import Priority
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

Channel = Literal["agent", "web_form", "email", "chat", "phone", "social", "system"]


class ReporterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["customer", "employee"]
    id: str = Field(min_length=1, max_length=200)
    # An employee reporting for their department makes this an internal request.
    department: str | None = Field(default=None, min_length=1, max_length=64)


class IssueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel
    reporter: ReporterIn
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    priority: Priority = "normal"
    external_ref: str | None = Field(default=None, min_length=1, max_length=200)


class IssueAccepted(BaseModel):
    issue_id: str
    status_url: str


class Issue(SQLModel, table=True):
    __tablename__ = "issues"

    id: str = Field(primary_key=True, max_length=36)
    channel: str = Field(max_length=32)
    reporter_kind: str = Field(max_length=16)
    reporter_id: str = Field(max_length=200)
    reporter_department: str | None = Field(default=None, max_length=64)
    subject: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    priority: str = Field(max_length=16)
    external_ref: str | None = Field(default=None, max_length=200)
    internal: bool = False
    reported_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class IssuePublic(BaseModel):
    issue_id: str
    channel: str
    reporter: ReporterIn
    subject: str
    description: str
    priority: Priority
    external_ref: str | None
    internal: bool
    reported_at: datetime

    @classmethod
    def of(cls, issue: Issue) -> IssuePublic:
        return cls(
            issue_id=issue.id,
            channel=issue.channel,
            reporter=ReporterIn(
                kind=issue.reporter_kind,  # type: ignore[arg-type]
                id=issue.reporter_id,
                department=issue.reporter_department,
            ),
            subject=issue.subject,
            description=issue.description,
            priority=issue.priority,  # type: ignore[arg-type]
            external_ref=issue.external_ref,
            internal=issue.internal,
            reported_at=issue.reported_at,
        )
