from __future__ import annotations

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class RoutedIssue(SQLModel, table=True):
    """The issue as reported, so a reroute can decide again without asking intake."""

    __tablename__ = "routed_issues"

    issue_id: str = Field(primary_key=True, max_length=36)
    reported: str = Field(sa_column=Column(Text, nullable=False))  # IssueReported as JSON
