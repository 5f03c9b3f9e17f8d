"""Working-time arithmetic, by example and by property: across daylight-saving
changes, public holidays, closures and weekends, adding then measuring working
time gives back what was added, adding is monotonic, and it never lands outside
working hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from baton_contracts.calendars import Calendar, Closure, PublicHolidays, span_minutes
from baton_runtime.workingtime import NoWorkingTime, WorkingCalendar, working_calendar
from baton_runtime.workingtime.public_holidays import check_public_holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BERLIN = Calendar(
    time_zone="Europe/Berlin",
    holidays=PublicHolidays(country="DE", subdivision="BE"),
    closures=[Closure(name="Winter break", start=date(2026, 12, 28), end=date(2026, 12, 31))],
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN_ZONE)


BERLIN_ZONE = working_calendar(BERLIN).zone


# ---- by example ----------------------------------------------------------------------


def test_eight_working_hours_from_friday_evening_end_on_monday_evening():
    cal = working_calendar(BERLIN)
    due = cal.add(berlin(2026, 11, 20, 17, 0), timedelta(hours=8))
    assert due == berlin(2026, 11, 23, 17, 0)


def test_a_public_holiday_and_a_weekend_are_skipped():
    cal = working_calendar(BERLIN)
    # Thursday 24 Dec 15:00; Christmas (25th, 26th is a Saturday), the weekend: Monday 28th
    # is the winter break, so the clock runs again on Friday 1 Jan? New Year is a holiday.
    due = cal.add(berlin(2026, 12, 24, 15, 0), timedelta(hours=4))
    assert due == berlin(2027, 1, 4, 11, 0)
    whys = {(c.why, c.name) for c in cal.closed_days(berlin(2026, 12, 24, 15), due)}
    assert ("holiday", "Christmas Day") in whys and ("closure", "Winter break") in whys
    assert ("weekend", "saturday") in whys and ("holiday", "New Year's Day") in whys


def test_a_working_day_shortened_by_the_spring_change_counts_its_real_hours():
    cal = WorkingCalendar(Calendar(time_zone="Europe/Berlin", hours={"sunday": ["00:00-24:00"]}))
    day = cal.between(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0))
    assert day == timedelta(hours=23)


def test_within_working_hours_and_the_next_start():
    cal = working_calendar(BERLIN)
    assert cal.is_working(berlin(2026, 11, 23, 9, 0))
    assert not cal.is_working(berlin(2026, 11, 23, 17, 0))
    assert cal.next_start(berlin(2026, 11, 21, 3, 0)) == berlin(2026, 11, 23, 9, 0)


def test_a_calendar_closed_beyond_the_horizon_says_so():
    closed = Calendar(
        time_zone="UTC",
        closures=[Closure(name="gone", start=date(2026, 1, 1), end=date(2031, 1, 1))],
    )
    with pytest.raises(NoWorkingTime):
        working_calendar(closed).add(datetime(2026, 6, 1, tzinfo=UTC), timedelta(hours=1))


def test_unknown_holiday_places_are_refused_by_name():
    with pytest.raises(ValueError, match="no region 'XX'"):
        check_public_holidays(PublicHolidays(country="DE", subdivision="XX"))
    with pytest.raises(ValueError, match="country 'QQ'"):
        check_public_holidays(PublicHolidays(country="QQ"))


def test_calendars_refuse_overlapping_spans_and_unknown_zones():
    with pytest.raises(ValueError, match="overlap"):
        Calendar(time_zone="UTC", hours={"monday": ["09:00-12:00", "11:00-13:00"]})
    with pytest.raises(ValueError, match="IANA"):
        Calendar(time_zone="Mars/Olympus")
    assert span_minutes("22:00-24:00") == (1320, 1440)


# ---- by property ---------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
         "America/Santiago", "UTC"]  # fmt: skip
PLACES = [None, PublicHolidays(country="DE", subdivision="BE"), PublicHolidays(country="US"),
          PublicHolidays(country="AU", subdivision="NSW")]  # fmt: skip
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@st.composite
def spans_of_a_day(draw: st.DrawFn) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(0, 48), min_size=2, max_size=6)))
    pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
    return [f"{a // 2:02d}:{a % 2 * 30:02d}-{b // 2:02d}:{b % 2 * 30:02d}" for a, b in pairs]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    hours = {
        day: draw(spans_of_a_day()) for day in draw(st.sets(st.sampled_from(DAYS), min_size=1))
    }
    weekly = sum(end - start for spans in hours.values() for start, end in map(span_minutes, spans))
    if weekly < 120:
        # The durations drawn reach 120 working hours; a calendar of half an hour a week
        # holds less than that within the 3-year horizon, and rightly says so
        # (NoWorkingTime, tested on its own): give such a calendar a working day.
        hours["wednesday"] = ["09:00-17:00"]
    closures = [
        Closure(
            name=f"closure {n}", start=start, end=start + timedelta(days=draw(st.integers(0, 9)))
        )
        for n, start in enumerate(
            draw(st.lists(st.dates(date(2025, 12, 1), date(2027, 12, 31)), max_size=3))
        )
    ]
    return Calendar(
        time_zone=draw(st.sampled_from(ZONES)),
        hours=hours,
        holidays=draw(st.sampled_from(PLACES)),
        closures=closures,
    )


# Instants near daylight-saving changes are drawn often: they are where arithmetic breaks.
CHANGES = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
           datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
           datetime(2026, 4, 4, 16, tzinfo=UTC), datetime(2026, 9, 6, 4, tzinfo=UTC)]  # fmt: skip
instants = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda base, minutes: base + timedelta(minutes=minutes),
        st.sampled_from(CHANGES),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
    ),
)
durations = st.builds(
    lambda minutes, seconds: timedelta(minutes=minutes, seconds=seconds),
    st.integers(0, 120 * 60),
    st.integers(0, 59),
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendars(), instants, durations)
def test_adding_then_measuring_working_time_gives_back_what_was_added(cal, start, duration):
    working = working_calendar(cal)
    due = working.add(start, duration)
    assert due >= start
    assert working.between(start, due) == duration


@PROPERTY
@given(calendars(), instants, durations, durations)
def test_adding_more_never_lands_earlier(cal, start, a, b):
    working = working_calendar(cal)
    short, long = sorted((a, b))
    assert working.add(start, short) <= working.add(start, long)
    assert working.add(start, a) <= working.add(start + timedelta(minutes=1), a)


@PROPERTY
@given(calendars(), instants, durations.filter(lambda d: d > timedelta(0)))
def test_a_deadline_never_lands_outside_working_hours(cal, start, duration):
    working = working_calendar(cal)
    due = working.add(start, duration)
    # Within a span, or at the very end of one (the last working minute's end).
    assert working.is_working(due) or working.is_working(due - timedelta(microseconds=1))
    assert working.closed(working.local(due - timedelta(microseconds=1)).date()) is None


@PROPERTY
@given(calendars(), instants, instants, instants)
def test_working_time_adds_up_and_never_exceeds_the_clock(cal, a, b, c):
    working = working_calendar(cal)
    a, b, c = sorted((a, b, c))
    assert working.between(a, b) + working.between(b, c) == working.between(a, c)
    assert timedelta(0) <= working.between(a, c) <= c - a
