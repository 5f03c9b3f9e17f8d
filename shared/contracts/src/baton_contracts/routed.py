"""Topic family ``issues.routed``: which department must fix an issue, and why."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_contracts.common import Person, Priority
from baton_contracts.envelope import register

ISSUE_ROUTED_V1 = "baton.issue.routed.v1"


class IssueRouted(BaseModel):
    issue_id: str
    department: str
    rule_id: str | None  # None when no rule matched and the fallback applied
    reason: str
    priority: Priority = "normal"
    # The department's roster at decision time, so ownership can assign without
    # reading routing's catalog.
    liaisons: list[Person]
    escalation_contact: Person
    routed_at: datetime
    # Set when the learned router proposed the department (no rule matched): which
    # model version and its confidence in the department it proposed. Additive in v1.
    model_version: str | None = None
    model_score: float | None = None
    # 1 for the first decision, +1 per reroute. A silo alarm: departments kept declining
    # and customer_service must sort it out.
    attempt: int = 1
    silo_alarm: bool = False


register(ISSUE_ROUTED_V1, IssueRouted)
