"""Interrupt load, as metrics: issues each department's people received, within
its working hours or outside them. Labels are departments, never people or ids
(per person, see the scorecard)."""

from __future__ import annotations

from baton_runtime.metrics import DEPARTMENT, counter

WORKING_HOURS = "baton.working_hours"  # inside | outside
VIA = "baton.via"

issues_received = counter(
    "baton.ownership.issues.received",
    "{issue}",
    "Issues people of a department became owners of (routing, hand-off, "
    "rebalance, escalation), within the department's working hours or outside them.",
)


def received(department: str, inside: bool, via: str) -> None:
    issues_received.add(
        1, {DEPARTMENT: department, WORKING_HOURS: "inside" if inside else "outside", VIA: via}
    )
