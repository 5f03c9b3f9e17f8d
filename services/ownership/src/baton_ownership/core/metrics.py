"""Ownership's own metrics: where issues stall, live (the kernel's are in
``baton_runtime.metrics``). Labels are departments, priorities, deadline kinds
and reasons, never issue ids or people.

Counters are counted once the change they count has committed (``Ctx.on_commit``),
so a rolled-back change counts nothing. The gauges are database-wide numbers that
``insights.live.measure`` refreshes every 15 s in every replica: each replica
reports the same values, so aggregate them with ``max by (...)``, never ``sum``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baton_contracts import HandoffDeclined, OwnerAssigned
from baton_runtime.metrics import DEPARTMENT, counter, gauge, histogram

from baton_ownership.core.state import Change, Issue, aware

PRIORITY = "baton.priority"
FROM = "baton.from_department"
TO = "baton.to_department"
REASON = "baton.reason"
VIA = "baton.via"
DEADLINE = "baton.deadline"

# Issues wait minutes to days: buckets from a minute to a week, in seconds.
WAIT_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
                172800.0, 604800.0)  # fmt: skip

assignments = counter(
    "baton.ownership.assignments",
    "{assignment}",
    "Owners assigned, by department, priority and how (routing: an issue's "
    "first owner; handoff, rebalance, escalation: a later one).",
)
escalations = counter(
    "baton.ownership.escalations",
    "{escalation}",
    "Escalation steps taken, by department, priority and reason "
    "(acknowledge_overdue, resolve_overdue, help_overdue, owner_unreachable).",
)
handoffs = counter(
    "baton.ownership.handoffs",
    "{handoff}",
    "Hand-offs accepted from one department to another, by priority.",
)
declines = counter(
    "baton.ownership.handoff.declines",
    "{handoff}",
    "Hand-offs declined, by the declining department, the asking one and priority.",
)
silo_alarms = counter(
    "baton.ownership.silo_alarms",
    "{alarm}",
    "Silo alarms (an issue held by too many departments), by department and priority.",
)
acknowledge_duration = histogram(
    "baton.ownership.acknowledge.duration",
    "From a department taking an issue to its owner acknowledging it.",
    WAIT_BUCKETS,
)
resolve_duration = histogram(
    "baton.ownership.resolve.duration",
    "From the resolving department taking an issue to its resolution.",
    WAIT_BUCKETS,
)


def _of(issue: Issue) -> dict[str, str]:
    return {DEPARTMENT: issue.department, PRIORITY: issue.priority}


def assigned(issue: Issue, via: str) -> None:
    assignments.add(1, _of(issue) | {VIA: via})


def count(change: Change) -> None:
    """Count what a committed change did (``store.apply`` calls this after commit)."""
    before, after = change.before, change.after
    for event in change.events:
        if isinstance(event, OwnerAssigned):
            assigned(after, event.via)
        elif isinstance(event, HandoffDeclined):
            declines.add(
                1, {DEPARTMENT: event.to_department, FROM: before.department,
                    PRIORITY: before.priority},
            )  # fmt: skip
    waited = (aware(change.at) - aware(before.department_since)).total_seconds()
    if change.action == "escalated":
        escalations.add(1, _of(before) | {REASON: str(change.details.get("reason", ""))})
    elif change.action == "silo_alarm":
        silo_alarms.add(1, _of(after))
    elif change.action == "handoff_accepted" and after.department != before.department:
        handoffs.add(1, {FROM: before.department, TO: after.department, PRIORITY: after.priority})
    elif change.action == "acknowledge":
        acknowledge_duration.record(max(waited, 0.0), _of(before))
    elif change.action == "resolve":
        resolve_duration.record(max(waited, 0.0), _of(before))


@dataclass
class Live:
    """The latest database-wide numbers; ``insights.live.measure`` swaps it whole."""

    open: dict[tuple[str, str], int] = field(default_factory=dict)
    unacknowledged: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_age_s: dict[tuple[str, str], float] = field(default_factory=dict)
    # (department, priority, deadline kind) -> clocks that ran out, still running.
    overdue: dict[tuple[str, str, str], int] = field(default_factory=dict)


live = Live()


open_issues = gauge(
    "baton.ownership.issues.open",
    "{issue}",
    "Open (unresolved) issues each department holds, by priority.",
    lambda: live.open,
    (DEPARTMENT, PRIORITY),
)
unacknowledged_issues = gauge(
    "baton.ownership.issues.unacknowledged",
    "{issue}",
    "Open issues whose current owner has not acknowledged them, by priority.",
    lambda: live.unacknowledged,
    (DEPARTMENT, PRIORITY),
)
oldest_issue_age = gauge(
    "baton.ownership.issues.oldest_age",
    "s",
    "How long the longest-waiting open issue has been in the department.",
    lambda: live.oldest_age_s,
    (DEPARTMENT, PRIORITY),
)
overdue_deadlines = gauge(
    "baton.ownership.deadlines.overdue",
    "{deadline}",
    "Clocks (acknowledge, resolve, help) that ran out and are still running, "
    "by the department that owes the answer, the issue's priority and the clock's kind.",
    lambda: live.overdue,
    (DEPARTMENT, PRIORITY, DEADLINE),
)
