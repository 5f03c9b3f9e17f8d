"""The topics Baton's events travel on: their names, and what each is for.

Names only: creating topics on a cluster is the runtime's job
(``baton_runtime.kafka.topics``).
"""

from __future__ import annotations

ISSUES_INBOUND = "issues.inbound"
ISSUES_REPORTED = "issues.reported"
ISSUES_ROUTED = "issues.routed"
ISSUES_OWNERSHIP = "issues.ownership"
# Compacted: the latest DepartmentUpdated per department.
DEPARTMENTS = "departments"
# DeliveryFailed: a person notifications could not reach, for ownership to act on.
NOTIFICATIONS_DELIVERIES = "notifications.deliveries"
# RerouteRequested: a request *to* routing (issues.routed carries its answers).
ISSUES_REROUTE = "issues.reroute"
# IssueRated: what reporters say of how their issue was handled (intake to ownership).
ISSUES_FEEDBACK = "issues.feedback"
TOPICS = (
    ISSUES_INBOUND,
    ISSUES_REPORTED,
    ISSUES_ROUTED,
    ISSUES_OWNERSHIP,
    DEPARTMENTS,
    NOTIFICATIONS_DELIVERIES,
    ISSUES_REROUTE,
    ISSUES_FEEDBACK,
)

# Topic-level settings beyond the cluster's defaults, by base name.
TOPIC_CONFIGS: dict[str, dict[str, str]] = {DEPARTMENTS: {"cleanup.policy": "compact"}}


def topic_config(name: str) -> dict[str, str]:
    """Settings for a (possibly prefixed) topic; DLQs keep the defaults."""
    return next((c for base, c in TOPIC_CONFIGS.items() if name.endswith(base)), {})


def dlq(topic: str) -> str:
    """Where a topic's messages go that cannot be handled."""
    return f"{topic}.dlq"


def all_topics(prefix: str = "") -> list[str]:
    return [f"{prefix}{t}" for base in TOPICS for t in (base, dlq(base))]
