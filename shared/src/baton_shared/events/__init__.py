"""Event envelope and the v1 payload models, one module per topic family."""

from baton_shared.events.common import Person, Priority
from baton_shared.events.departments import DEPARTMENT_UPDATED_V1, DepartmentUpdated
from baton_shared.events.envelope import Envelope, EventParseError, parse_event
from baton_shared.events.notifications import DELIVERY_FAILED_V1, DeliveryFailed
from baton_shared.events.ownership import (
    ESCALATED_V1,
    HANDOFF_DECLINED_V1,
    HANDOFF_REQUESTED_V1,
    HELP_ANSWERED_V1,
    HELP_REQUESTED_V1,
    ISSUE_ACKNOWLEDGED_V1,
    ISSUE_REOPENED_V1,
    ISSUE_RESOLVED_V1,
    OWNER_ASSIGNED_V1,
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    HelpAnswered,
    HelpRequested,
    IssueAcknowledged,
    IssueReopened,
    IssueResolved,
    OwnerAssigned,
    OwnershipChange,
)
from baton_shared.events.reported import ISSUE_REPORTED_V1, IssueReported, Reporter
from baton_shared.events.routed import ISSUE_ROUTED_V1, IssueRouted

__all__ = [
    "DELIVERY_FAILED_V1",
    "DEPARTMENT_UPDATED_V1",
    "ESCALATED_V1",
    "HANDOFF_DECLINED_V1",
    "HANDOFF_REQUESTED_V1",
    "HELP_ANSWERED_V1",
    "HELP_REQUESTED_V1",
    "ISSUE_ACKNOWLEDGED_V1",
    "ISSUE_REOPENED_V1",
    "ISSUE_REPORTED_V1",
    "ISSUE_RESOLVED_V1",
    "ISSUE_ROUTED_V1",
    "OWNER_ASSIGNED_V1",
    "DeliveryFailed",
    "DepartmentUpdated",
    "Envelope",
    "Escalated",
    "EventParseError",
    "HandoffDeclined",
    "HandoffRequested",
    "HelpAnswered",
    "HelpRequested",
    "IssueAcknowledged",
    "IssueReopened",
    "IssueReported",
    "IssueResolved",
    "IssueRouted",
    "OwnerAssigned",
    "OwnershipChange",
    "Person",
    "Priority",
    "Reporter",
    "parse_event",
]
