"""Who holds each issue.

``issue_owners`` has the issue id as its primary key and a NOT NULL owner, so the
database itself guarantees at most one owner per issue and never an ownerless
row: one accountable owner, never two, from routing to resolution.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from baton_contracts import Person
from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

State = Literal["assigned", "acknowledged", "resolved"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time Baton stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IssueOwner(SQLModel, table=True):
    __tablename__ = "issue_owners"

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(max_length=64)
    owner_id: str = Field(max_length=128)
    owner_name: str = Field(max_length=200)
    owner_email: str = Field(max_length=320)
    assigned_at: datetime = Field(default_factory=utcnow)
    # Optimistic concurrency: every change names the version it saw; a stale one is a 409.
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


class DepartmentCursor(SQLModel, table=True):
    """Round-robin position among a department's equally loaded liaisons."""

    __tablename__ = "department_cursors"

    department: str = Field(primary_key=True, max_length=64)
    next_index: int = 0


class OwnerPublic(BaseModel):
    issue_id: str
    department: str
    owner: Person
    assigned_at: datetime
    version: int

    @classmethod
    def of(cls, row: IssueOwner) -> OwnerPublic:
        return cls(
            issue_id=row.issue_id,
            department=row.department,
            owner=Person(id=row.owner_id, name=row.owner_name, email=row.owner_email),
            assigned_at=row.assigned_at,
            version=row.version,
        )
