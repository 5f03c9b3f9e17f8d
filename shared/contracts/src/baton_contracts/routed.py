"""Topic family ``issues.routed``: which department must fix an issue, and why.

v2 names the department's head ``head``, as ``DepartmentUpdated`` and routing's
catalog do (v1 called it ``escalation_contact``). Consumers read both: a v1
event's ``payload()`` is upgraded to the current model.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_contracts.common import Person, Priority
from baton_contracts.envelope import register

ISSUE_ROUTED_V1 = "baton.issue.routed.v1"
ISSUE_ROUTED_V2 = "baton.issue.routed.v2"


class _Routed(BaseModel):
    issue_id: str
    department: str
    rule_id: str | None  # None when no rule matched and the fallback applied
    reason: str
    priority: Priority = "normal"
    # The department's roster at decision time, so ownership can assign without
    # reading routing's catalog.
    liaisons: list[Person]
    routed_at: datetime
    # Set when the classifier proposed the department (no rule matched): which
    # model version and its confidence in the department it proposed.
    model_version: str | None = None
    model_score: float | None = None
    # 1 for the first decision, +1 per reroute. A silo alarm: departments kept declining
    # and customer_service must sort it out.
    attempt: int = 1
    silo_alarm: bool = False
    # Additive: an internal customer's request (an employee reported it), and who
    # asked from which department, so that it is served and measured as such.
    internal: bool = False
    requester_id: str | None = None
    requester_department: str | None = None


class IssueRouted(_Routed):
    """The current version (v2)."""

    head: Person  # the department's head: escalations go there, and held issues wait there


class IssueRoutedV1(_Routed):
    """As published before v2; read, never written."""

    escalation_contact: Person

    def upgrade(self) -> IssueRouted:
        fields = self.model_dump(exclude={"escalation_contact"})
        return IssueRouted(**fields, head=self.escalation_contact)


register(ISSUE_ROUTED_V1, IssueRoutedV1)
register(ISSUE_ROUTED_V2, IssueRouted)
