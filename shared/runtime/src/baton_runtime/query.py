"""Query parameters the services share."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BeforeValidator

from baton_runtime.problems import Problem

_NUMBER = re.compile(r"\s*[+-]?[\d.]+([eE][+-]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    # Pydantic would read a number as seconds since 1970: a mistake, not a date.
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("give a date and time, e.g. 2026-11-01T00:00:00Z, not a number")
    return value


# A moment in a query (``?since=2026-11-01T00:00:00Z``); a bare number is refused (422).
Moment = Annotated[datetime | None, BeforeValidator(_not_a_number)]


def period(
    since: datetime | None, until: datetime | None, now: datetime, *, days: int = 30
) -> tuple[datetime, datetime]:
    """The period a caller asked for (by default the last ``days`` until now), in
    UTC, or a 422 problem saying what to change."""
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        raise Problem(
            422,
            "Give since and until with a time zone, e.g. 2026-11-01T00:00:00Z.",
            title="Ambiguous time",
        )
    try:
        until = (until or now).astimezone(UTC)
        since = (since or until - timedelta(days=days)).astimezone(UTC)
    except OverflowError:
        # A time zone, or the default period, took the date past year 1 or 9999.
        raise Problem(
            422,
            f"Give since and until between the years 1 and 9999 in UTC (until at least "
            f"{days} days after year 1 when since is not given).",
            title="Period out of range",
        ) from None
    if since >= until:
        raise Problem(422, "since must be before until.", title="Empty period")
    return since, until
