from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class RoutingDecision(SQLModel, table=True):
    """Every decision routing made, and why: the audit trail behind ``IssueRouted``."""

    __tablename__ = "routing_decisions"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    event_id: str = Field(max_length=64)  # the IssueRouted event it produced
    department: str = Field(max_length=64)
    rule_id: str | None = Field(default=None, max_length=128)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    model_version: str | None = Field(default=None, max_length=64)
    model_score: float | None = None
    silo_alarm: bool = False
    decided_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
