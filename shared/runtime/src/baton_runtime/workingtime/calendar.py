"""Working-time arithmetic: adding working time to an instant, measuring the
working time between two, and whether an instant is within working hours.

A calendar's working time is a sequence of spans of real time (UTC), one per
span of each worked day in the calendar's time zone, none on a public holiday
or a closure. Durations are real elapsed time inside those spans, so a working
day that a daylight-saving change shortens is shorter, and "add, then measure"
gives back exactly what was added.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from baton_contracts.calendars import WEEKDAYS, Calendar, span_minutes

from baton_runtime.workingtime.public_holidays import holiday

# How far ahead to look for working time before concluding there is none
# (a calendar closed for three years is a mistake, not a schedule).
HORIZON_DAYS = 3 * 366
Span = tuple[datetime, datetime]


class NoWorkingTime(ValueError):
    """The calendar has no working time within the horizon."""


@dataclass(frozen=True)
class ClosedDay:
    """A day without working time that a weekday alone would not explain away."""

    day: date
    why: Literal["weekend", "day off", "holiday", "closure"]
    name: str


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class WorkingCalendar:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.time_zone)
        self._hours = [
            sorted(span_minutes(s) for s in calendar.hours.get(day, [])) for day in WEEKDAYS
        ]

    # ---- days -------------------------------------------------------------------

    def closed(self, day: date) -> ClosedDay | None:
        """Why ``day`` (a local date) has no working time, if it has none."""
        for closure in self.calendar.closures:
            if closure.start <= day <= closure.end:
                return ClosedDay(day, "closure", closure.name)
        spec = self.calendar.holidays
        name = holiday(spec, day) if spec is not None else None
        if name and self._hours[day.weekday()]:
            return ClosedDay(day, "holiday", name)
        if not self._hours[day.weekday()]:
            weekend = day.weekday() >= 5
            return ClosedDay(day, "weekend" if weekend else "day off", WEEKDAYS[day.weekday()])
        return None

    def _instant(self, day: date, minutes: int) -> datetime:
        # Naive local time, then the zone: a time that a spring-forward skips is read
        # with the offset before the change, one repeated in autumn as its first.
        local = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _day(self, day: date) -> list[Span]:
        if self.closed(day) is not None:
            return []
        return [
            (self._instant(day, s), self._instant(day, e)) for s, e in self._hours[day.weekday()]
        ]

    def _local_date(self, at: datetime) -> date:
        return _aware(at).astimezone(self.zone).date()

    # ---- spans ------------------------------------------------------------------

    def _spans(self, first: date, days: int) -> Iterator[Span]:
        """Ordered, disjoint spans of ``days`` local days from ``first``. Where a
        daylight-saving change makes a span start before the last ended, it is cut."""
        last_end: datetime | None = None
        for offset in range(days):
            for start, end in self._day(first + timedelta(days=offset)):
                if last_end is not None and start < last_end:
                    start = last_end
                if end <= start:
                    continue
                last_end = end
                yield start, end

    def spans(self, start: datetime) -> Iterator[Span]:
        """Working spans that end after ``start``, in order (the first may begin
        before it). Raises ``NoWorkingTime`` past the horizon."""
        start = _aware(start)
        # From the day before: a span is cut against the one before it, whatever the start.
        for span in self._spans(self._local_date(start) - timedelta(days=1), HORIZON_DAYS):
            if span[1] > start:
                yield span
        raise NoWorkingTime(
            f"the calendar has no working time within {HORIZON_DAYS} days of {start:%Y-%m-%d}"
        )

    # ---- arithmetic ---------------------------------------------------------------

    def is_working(self, at: datetime) -> bool:
        """Within working hours: inside a span (its start included, its end not)."""
        at = _aware(at)
        start, _ = next(self.spans(at))
        return start <= at

    def next_start(self, at: datetime) -> datetime:
        """``at`` itself within working hours, else when working time next begins."""
        at = _aware(at)
        start, _ = next(self.spans(at))
        return max(start, at)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed
        since ``start``. It is always within working hours (a span's end included)."""
        if duration < timedelta(0):
            raise ValueError("working time is added forwards only")
        start, remaining = _aware(start), duration
        for span_start, span_end in self.spans(start):
            begin = max(span_start, start)
            if remaining <= span_end - begin:
                return begin + remaining
            remaining -= span_end - begin
        raise AssertionError("unreachable: spans() ends by raising")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from ``start`` to ``end`` (negative if ``end`` is earlier)."""
        start, end = _aware(start), _aware(end)
        if end < start:
            return -self.between(end, start)
        first = self._local_date(start) - timedelta(days=1)
        days = (self._local_date(end) - first).days + 2
        total = timedelta(0)
        for span_start, span_end in self._spans(first, days):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > timedelta(0):
                total += overlap
        return total

    def closed_days(self, start: datetime, end: datetime) -> list[ClosedDay]:
        """The local days from ``start`` to ``end`` with no working time, and why."""
        first, last = self._local_date(start), self._local_date(end)
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [closed for day in days if (closed := self.closed(day)) is not None]

    def local(self, at: datetime) -> datetime:
        return _aware(at).astimezone(self.zone)


@lru_cache(maxsize=256)
def _cached(document: str) -> WorkingCalendar:
    return WorkingCalendar(Calendar.model_validate_json(document))


def working_calendar(calendar: Calendar) -> WorkingCalendar:
    """The arithmetic for ``calendar``, built once per distinct calendar."""
    return _cached(calendar.model_dump_json())
