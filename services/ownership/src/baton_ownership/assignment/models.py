"""Who holds each issue.

``issue_owners`` has the issue id as its primary key and a NOT NULL owner, so the
database itself guarantees at most one owner per issue, and never an ownerless
row: one accountable owner, never two.
"""

from __future__ import annotations

from datetime import UTC, datetime

from baton_shared.events import Person
from pydantic import BaseModel
from sqlmodel import Field, SQLModel


class IssueOwner(SQLModel, table=True):
    __tablename__ = "issue_owners"

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(max_length=64)
    owner_id: str = Field(max_length=128)
    owner_name: str = Field(max_length=200)
    owner_email: str = Field(max_length=320)
    assigned_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # Optimistic concurrency for the lifecycle changes to come: a stale version is a 409.
    version: int = 1


class DepartmentCursor(SQLModel, table=True):
    """Round-robin position among a department's liaisons."""

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
