"""Who is on call: weekly rotations per layer, each handing over at a local time,
and one-off overrides on top (the last override that covers the moment wins),
as PagerDuty and Grafana OnCall schedules work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from baton_contracts.calendars import OnCall, RotationLayer


def _rotation(layer: RotationLayer, zone: ZoneInfo, at: datetime) -> str:
    # Wall-clock weeks in the calendar's zone: hand-overs stay at the same local
    # time across daylight-saving changes. Before the first hand-over the rotation
    # runs backwards (floor division), so every moment has someone.
    local = at.astimezone(zone).replace(tzinfo=None)
    turns = (local - layer.first_handover) // timedelta(weeks=layer.turn_weeks)
    return layer.people[turns % len(layer.people)]


def on_call(spec: OnCall, zone: ZoneInfo, at: datetime) -> list[tuple[str, str]]:
    """(layer name, person id) for every layer at ``at``, in escalation order."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    found = []
    for layer in spec.layers:
        person = _rotation(layer, zone, at)
        for override in spec.overrides:
            if override.layer == layer.name and override.start <= at < override.end:
                person = override.person_id
        found.append((layer.name, person))
    return found
