"""Topic family ``issues.ownership``: who holds an issue."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_shared.events.common import Person
from baton_shared.events.envelope import register

OWNER_ASSIGNED_V1 = "baton.issue.owner_assigned.v1"


class OwnerAssigned(BaseModel):
    issue_id: str
    department: str
    owner: Person
    assigned_at: datetime


register(OWNER_ASSIGNED_V1, OwnerAssigned)
