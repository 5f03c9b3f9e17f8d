"""Time zones by their IANA names (Europe/Berlin): deadlines are shown in the
recipient's."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    """The zone named ``name``; ValueError (what validators raise) if none is."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name such as Europe/Berlin") from None


def valid(name: str | None) -> str | None:
    if name is not None:
        zone(name)
    return name
