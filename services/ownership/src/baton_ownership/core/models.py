"""Who holds each issue, its hand-offs and help requests, and the history of
every change to it.

``issue_owners`` has the issue id as its primary key and a NOT NULL owner, so the
database itself guarantees at most one owner per issue and never an ownerless
row: one accountable owner, never two, from routing to resolution.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from baton_ownership.core.state import utcnow

# The largest a PostgreSQL integer column holds (ids, versions): a larger number
# names nothing, and the database would refuse the query rather than answer none.
INTEGER_MAX = 2**31 - 1


class IssueOwner(SQLModel, table=True):
    __tablename__ = "issue_owners"
    __table_args__ = (
        # Each assignment counts a department's open issues per owner (who is
        # below capacity): without it, a scan of every issue ever assigned.
        Index(
            "ix_issue_owners_open_by_department",
            "department",
            "owner_id",
            postgresql_where=text("state <> 'resolved'"),
            sqlite_where=text("state <> 'resolved'"),
        ),
    )

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(max_length=64)
    owner_id: str = Field(max_length=128)
    owner_name: str = Field(max_length=200)
    owner_email: str = Field(max_length=320)
    assigned_at: datetime = Field(default_factory=utcnow)
    # Optimistic concurrency: every change names the version it saw; a stale one is refused.
    version: int = 1
    state: str = Field(default="assigned", max_length=16)
    priority: str = Field(default="normal", max_length=16)
    # How many departments have held the issue, the current one included.
    hop: int = 1
    # True while the department head holds it because no liaison was available.
    held_by_head: bool = False
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    # When the current department took the issue: the start of its stay span.
    department_since: datetime = Field(default_factory=utcnow)
    # The issue's trace (W3C carrier) as it arrived, so every later change,
    # whatever request or checker makes it, joins the same trace.
    trace_context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


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
