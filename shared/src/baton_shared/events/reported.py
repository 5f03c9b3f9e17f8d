"""Topic family ``issues.reported``: what intake took in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from baton_shared.events.common import Priority
from baton_shared.events.envelope import register

ISSUE_REPORTED_V1 = "baton.issue.reported.v1"


class Reporter(BaseModel):
    kind: Literal["customer", "employee"]
    id: str = Field(min_length=1, max_length=200)
    # For an internal customer (an employee): the department asking for help.
    department: str | None = None


class IssueReported(BaseModel):
    issue_id: str
    channel: str
    reporter: Reporter
    subject: str
    description: str
    priority: Priority = "normal"
    external_ref: str | None = None
    internal: bool = False
    reported_at: datetime
    # Optional context routing rules may match on (additive in v1).
    customer_tier: str | None = None
    product: str | None = None
    language: str | None = None


register(ISSUE_REPORTED_V1, IssueReported)
