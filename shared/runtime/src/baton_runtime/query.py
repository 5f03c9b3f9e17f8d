"""Query parameters the services share."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

_NUMBER = re.compile(r"\s*[+-]?[\d.]+([eE][+-]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    # Pydantic would read a number as seconds since 1970: a mistake, not a date.
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("give a date and time, e.g. 2026-11-01T00:00:00Z, not a number")
    return value


# A moment in a query (``?since=2026-11-01T00:00:00Z``); a bare number is refused (422).
Moment = Annotated[datetime | None, BeforeValidator(_not_a_number)]
