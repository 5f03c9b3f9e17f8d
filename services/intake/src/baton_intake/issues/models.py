"""What intake stores: the normalized issue as it was reported, the threads that
later messages refer to, and the updates they brought."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Issue(SQLModel, table=True):
    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("source_system", "external_ref", name="uq_issues_source_external_ref"),
        UniqueConstraint("reference", name="uq_issues_reference"),
    )

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
    source_system: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=16)
    normalized_subject: str | None = Field(default=None, max_length=200, index=True)
    duplicate_of: str | None = Field(default=None, max_length=36)
    # When ownership last resolved it (IssueResolved); None while open or reopened.
    resolved_at: datetime | None = None


class Thread(SQLModel, table=True):
    """An id a later message may refer to (Message-ID, conversation id) -> issue."""

    __tablename__ = "threads"

    source_system: str = Field(primary_key=True, max_length=64)
    ref: str = Field(primary_key=True, max_length=255)
    issue_id: str = Field(max_length=36, index=True)
    # For a chat transcript: how many of its messages were already taken in.
    seen_messages: int = 0


class IssueUpdate(SQLModel, table=True):
    __tablename__ = "issue_updates"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(max_length=36, index=True)
    channel: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class IssueDepartment(SQLModel, table=True):
    """A department an issue concerned besides the one holding it now (that one is
    its conversation's): one that held it, was asked to take it, or to help
    (``issues.departments``). Who may read the issue depends on it."""

    __tablename__ = "issue_departments"

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(primary_key=True, max_length=64)
