"""Notifications' copy of each issue, so that a notice can say what the issue is:
from ``issues.reported`` what was reported, and from ``issues.ownership`` who
holds it, why routing chose its department and its deadlines. Never the
reporter's contact details: intake keeps those."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

# How much of the description a copy keeps: notices show about 500 characters.
KEPT_CHARS = 2_000


class IssueCopy(SQLModel, table=True):
    __tablename__ = "issue_copies"

    issue_id: str = Field(primary_key=True, max_length=36)
    reference: str | None = Field(default=None, max_length=16)
    subject: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    channel: str | None = Field(default=None, max_length=32)
    priority: str | None = Field(default=None, max_length=16)
    internal: bool = False
    reporter_department: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16)
    reported_at: datetime | None = None
    # From OwnerAssigned: the current owner and department, and what they must do by when.
    owner_id: str | None = Field(default=None, max_length=128)
    department: str | None = Field(default=None, max_length=64)
    routing_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    acknowledge_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
