"""Public holidays by country and region, from the ``holidays`` package."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
from baton_contracts.calendars import PublicHolidays


@lru_cache(maxsize=128)
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # One object per place: it works out each year's holidays once, when first asked.
    return holidays.country_holidays(country, subdiv=subdivision)


def check_public_holidays(spec: PublicHolidays) -> None:
    """ValueError, saying what is known, for a country or region the package lacks."""
    supported = holidays.list_supported_countries()
    if spec.country not in supported:
        raise ValueError(f"no public holidays are known for country {spec.country!r}")
    regions = supported[spec.country]
    if spec.subdivision is not None and spec.subdivision not in regions:
        raise ValueError(
            f"{spec.country} has no region {spec.subdivision!r}; known: {', '.join(regions)}"
        )


def holiday(spec: PublicHolidays, day: date) -> str | None:
    """The holiday's name on ``day``, or None."""
    name = _holidays(spec.country, spec.subdivision).get(day)
    return str(name) if name else None
