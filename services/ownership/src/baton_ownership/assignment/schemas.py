"""Assignment's API bodies."""

from __future__ import annotations

from datetime import datetime

from baton_contracts import Person
from pydantic import BaseModel

from baton_ownership.core.models import IssueOwner


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
