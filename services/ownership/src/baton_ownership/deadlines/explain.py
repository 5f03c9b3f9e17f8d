"""A running clock in words, for the people it concerns: when it is due in the
department's time zone, how long it is, from when, and what it did not count
("due Monday 23 Nov 17:00 Europe/Berlin: 8 working hours from Friday 20 Nov
17:00; the weekend and a holiday (Buß- und Bettag) skipped")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from baton_runtime.workingtime import ClosedDay, WorkingCalendar

from baton_ownership.core.state import aware


def _when(at: datetime, calendar: WorkingCalendar | None) -> str:
    local = aware(at).astimezone(calendar.zone if calendar else UTC)
    return f"{local:%A %d %b %H:%M}"


def _length(minutes: float, counting: str) -> str:
    working = "working " if counting == "working" else ""
    if minutes >= 60:
        hours = round(minutes / 60, 2)
        return f"{hours:g} {working}hour{'s' if hours != 1 else ''}"
    return f"{round(minutes):g} {working}minute{'s' if round(minutes) != 1 else ''}"


def _skipped(days: list[ClosedDay], start: datetime, due: datetime, zone_of) -> str:  # type: ignore[no-untyped-def]
    """What a working-time clock did not count, in a few words."""
    parts = []
    weekends = {d.day.isocalendar()[:2] for d in days if d.why == "weekend"}
    if weekends:
        parts.append("the weekend" if len(weekends) == 1 else f"{len(weekends)} weekends")
    holidays = list(dict.fromkeys(d.name for d in days if d.why == "holiday"))
    if holidays:
        noun = "a holiday" if len(holidays) == 1 else "holidays"
        parts.append(f"{noun} ({', '.join(holidays)})")
    closures = list(dict.fromkeys(d.name for d in days if d.why == "closure"))
    parts += [f"the closure {name!r}" for name in closures]
    off = list(dict.fromkeys(d.name.capitalize() for d in days if d.why == "day off"))
    if off:
        parts.append(f"days not worked ({', '.join(off)})")
    if not parts:
        if zone_of(start).date() != zone_of(due).date():
            return "; the night skipped"
        return ""
    joined = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"; {joined} skipped"


def explain(
    *,
    department: str,
    priority: str,
    counting: str,
    started_at: datetime | None,
    length_minutes: float | None,
    due_at: datetime,
    level: int = 0,
    on_call_layer: int | None = None,
    calendar: WorkingCalendar | None,
) -> str:
    zone = calendar.zone.key if calendar else "UTC"
    if started_at is None or length_minutes is None:  # a clock from before they were recorded
        return f"due {_when(due_at, calendar)} {zone}"
    first_due = (
        calendar.add(started_at, timedelta(minutes=length_minutes))
        if counting == "working" and calendar is not None
        else aware(started_at) + timedelta(minutes=length_minutes)
    )
    if on_call_layer is not None:
        layer = (
            "the first on-call layer" if on_call_layer == 1 else f"on-call layer {on_call_layer}"
        )
        text = (
            f"due {_when(first_due, calendar)} {zone}: {_length(length_minutes, 'wall')} for "
            f"{layer} to acknowledge, from {_when(started_at, calendar)} (urgent, outside "
            "working hours)"
        )
    elif counting == "working" and calendar is not None:
        days = calendar.closed_days(started_at, first_due)
        text = (
            f"due {_when(first_due, calendar)} {zone}: {_length(length_minutes, 'working')} "
            f"from {_when(started_at, calendar)}"
            + _skipped(days, started_at, first_due, calendar.local)
        )
    else:
        why = (
            f"{priority} priority counts every hour"
            if calendar is not None
            else f"{department} has no calendar: every hour counts"
        )
        text = (
            f"due {_when(first_due, calendar)} {zone}: {_length(length_minutes, 'wall')} on the "
            f"clock from {_when(started_at, calendar)} ({why})"
        )
    if level > 0 or abs(aware(due_at) - first_due) > timedelta(seconds=1):
        text += f"; passed and escalated, the next step due {_when(due_at, calendar)}"
    return text
