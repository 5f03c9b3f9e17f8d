"""Event envelope and the v1 payload models, one module per topic family."""

from baton_shared.events.common import Person, Priority
from baton_shared.events.envelope import Envelope, EventParseError, parse_event
from baton_shared.events.ownership import OWNER_ASSIGNED_V1, OwnerAssigned
from baton_shared.events.reported import ISSUE_REPORTED_V1, IssueReported, Reporter
from baton_shared.events.reroute import REROUTE_REQUESTED_V1, RerouteRequested
from baton_shared.events.routed import ISSUE_ROUTED_V1, IssueRouted

__all__ = [
    "ISSUE_REPORTED_V1",
    "ISSUE_ROUTED_V1",
    "OWNER_ASSIGNED_V1",
    "REROUTE_REQUESTED_V1",
    "Envelope",
    "EventParseError",
    "IssueReported",
    "IssueRouted",
    "OwnerAssigned",
    "Person",
    "Priority",
    "Reporter",
    "RerouteRequested",
    "parse_event",
]
