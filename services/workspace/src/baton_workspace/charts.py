"""Geometry for the server-rendered pictures (SVG in the templates): an issue's
journey as a timeline of department stays, and bars of time per department.
Plain numbers in, coordinates out: no JavaScript, nothing to build."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

# Distinct fills with white text at 4.5:1 or more.
PALETTE = ["#1f5fa8", "#a33b20", "#2f6b2f", "#6a3d9a", "#8a5a00", "#0f6470", "#9c2761"]
MARK_GLYPHS = {
    "handoff_requested": "→",
    "handoff_accepted": "✓",
    "handoff_declined": "✕",
    "help_requested": "?",
    "help_answered": "!",
    "escalated": "▲",
    "silo_alarm": "⚠",
    "owner_changed": "•",
}
# The narrowest a stay's bar is drawn: wide enough to see and to hold a glyph.
MIN_BAR = 28
# Room a bar's label ("3h 20m · handed off") takes after the bar's start.
LABEL_ROOM = 150


def colour(department: str) -> str:
    digest = hashlib.sha256(department.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


@dataclass
class Mark:
    x: float
    glyph: str
    label: str


@dataclass
class Lane:
    y: float
    x: float
    width: float
    department: str
    holders: str
    duration: str
    outcome: str
    fill: str
    marks: list[Mark] = field(default_factory=list)
    # Where the label under the bar is written: from the bar's start, or, for a bar
    # too near the axis' end for that, ending where the bar ends (SVG text-anchor).
    label_x: float = 0.0
    label_anchor: str = "start"


@dataclass
class Timeline:
    width: int
    height: int
    left: int
    right: int
    lanes: list[Lane]
    start: datetime
    end: datetime


def timeline(
    stays: list[dict[str, object]],
    *,
    start: datetime,
    end: datetime,
    width: int = 760,
    left: int = 210,
    lane: int = 44,
) -> Timeline:
    """Each stay a lane: its bar from when the department took the issue to when it
    let go (or now); its marks where something happened during it."""
    right = width - 20
    # Only guards a journey of no length: one younger than a second still spans the axis.
    total = max((end - start).total_seconds(), 1e-6)

    def x(moment: datetime) -> float:
        return left + (right - left) * min(max((moment - start).total_seconds() / total, 0), 1)

    lanes = []
    for n, stay in enumerate(stays):
        began, ended = stay["started_at"], stay["ended_at"] or end
        assert isinstance(began, datetime) and isinstance(ended, datetime)
        x0, x1 = x(began), x(ended)
        if x1 - x0 < MIN_BAR:
            # A stay too short for the scale still reads as a bar that holds its
            # marks, kept inside the axis (a last short stay would run off it).
            x0 = min(x0, right - MIN_BAR)
            x1 = x0 + MIN_BAR
        marks = [
            Mark(min(max(x(at), x0 + 8), x1 - 8), MARK_GLYPHS.get(kind, "•"), label)
            for at, kind, label in stay["marks"]  # type: ignore[attr-defined]
        ]
        room = x0 + 4 + LABEL_ROOM <= right
        lanes.append(
            Lane(
                y=30 + n * lane, x=x0, width=x1 - x0, department=str(stay["department"]),
                holders=str(stay["holders"]), duration=str(stay["duration"]),
                outcome=str(stay["outcome"]), fill=colour(str(stay["department"])), marks=marks,
                label_x=x0 + 4 if room else x1, label_anchor="start" if room else "end",
            )
        )  # fmt: skip
    return Timeline(width, 30 + len(lanes) * lane + 30, left, right, lanes, start, end)


@dataclass
class Bar:
    label: str
    y: float
    median_width: float
    p90_x: float | None
    median_text: str
    p90_text: str
    count: int


@dataclass
class Bars:
    title: str
    width: int
    height: int
    left: int
    bars: list[Bar]
    scale_text: str


def bars(
    title: str,
    rows: list[tuple[str, float | None, float | None, int]],
    *,
    text: object,
    width: int = 560,
    left: int = 150,
    row: int = 26,
) -> Bars:
    """Horizontal bars: each row's median, with a tick at its p90, on one scale."""
    fmt = text if callable(text) else str
    longest = max([v for _, m, p, _ in rows for v in (m, p) if v is not None] + [1.0])
    usable = width - left - 90

    def w(value: float) -> float:
        return usable * value / longest

    out = [
        Bar(
            label=label,
            y=10 + n * row,
            median_width=w(median or 0),
            p90_x=left + w(p90) if p90 is not None else None,
            median_text=fmt(median) if median is not None else "no data",
            p90_text=fmt(p90) if p90 is not None else "",
            count=count,
        )
        for n, (label, median, p90, count) in enumerate(rows)
    ]
    return Bars(title, width, 20 + len(rows) * row, left, out, f"scale: 0 to {fmt(longest)}")
