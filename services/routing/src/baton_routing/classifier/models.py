from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class ResolvedLabel(SQLModel, table=True):
    """A resolved issue, as reported, labeled with the department that resolved it:
    the company's own history, which the classifier trains on next to the sample."""

    __tablename__ = "resolved_labels"

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(max_length=64)  # where the issue was finally resolved
    text: str = Field(sa_column=Column(Text, nullable=False))
    resolved_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
