"""Working time, on call and internal targets: what routing's catalog says of a
department's hours, shared on the ``departments`` topic (and reused by
notifications for a person's own working hours).

Plain data only: the arithmetic over it (working time, who is on call) is
``baton_runtime.workingtime``.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = Weekday.__args__  # type: ignore[attr-defined]
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def span_minutes(span: str) -> tuple[int, int]:
    """``"09:00-17:30"`` as minutes of the day, (540, 1050); ``24:00`` ends the day."""
    found = _SPAN.match(span)
    if not found:
        raise ValueError(f"{span!r} is not a span of the day like '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > 24 * 60 or end <= start:
        raise ValueError(f"{span!r} must end after it starts, at 24:00 at the latest")
    return start, end


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a name the file system refuses (too long, say): no zone either.
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. 'Europe/Berlin')") from None
    return name


DaySpan = Annotated[str, Field(examples=["09:00-17:00"])]


class PublicHolidays(BaseModel):
    """The public holidays of a country (ISO 3166-1 alpha-2) and, optionally, one of
    its regions (ISO 3166-2 subdivision, e.g. ``DE``/``BE`` for Berlin)."""

    model_config = ConfigDict(extra="forbid")

    country: str = Field(pattern=r"^[A-Z]{2}$")
    subdivision: str | None = Field(default=None, min_length=1, max_length=16)


class Closure(BaseModel):
    """A company closure: every day from ``start`` to ``end`` (both included) is closed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end < self.start:
            raise ValueError(f"closure {self.name!r} ends before it starts")
        return self


def _default_hours() -> dict[Weekday, list[str]]:
    return {day: ["09:00-17:00"] for day in WEEKDAYS[:5]}


class Calendar(BaseModel):
    """When a department (or a person) works: a time zone, spans per weekday (a
    weekday not listed is not worked), public holidays and company closures."""

    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field(examples=["Europe/Berlin"])
    hours: dict[Weekday, list[DaySpan]] = Field(default_factory=_default_hours)
    holidays: PublicHolidays | None = None
    closures: list[Closure] = Field(default=[], max_length=500)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        return _zone(name)

    @field_validator("hours")
    @classmethod
    def _spans(cls, hours: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for day, spans in hours.items():
            parsed = sorted(span_minutes(s) for s in spans)
            for (_, end), (start, _) in itertools.pairwise(parsed):
                if start < end:
                    raise ValueError(f"{day}: the spans {spans} overlap")
        if not any(hours.values()):
            raise ValueError("a calendar needs working hours on at least one weekday")
        return hours


class RotationLayer(BaseModel):
    """One layer of an on-call schedule: its people take weekly turns, in order,
    handing over at the local time of ``first_handover`` every ``turn_weeks`` weeks."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)
    people: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(min_length=1)
    # In the department calendar's time zone, without a zone of its own (e.g.
    # 2026-01-05T09:00): people[0] takes over then, people[1] a turn later, ...
    first_handover: datetime
    turn_weeks: int = Field(default=1, ge=1, le=52)

    @field_validator("first_handover")
    @classmethod
    def _local(cls, at: datetime) -> datetime:
        if at.tzinfo is not None:
            raise ValueError(
                "first_handover is read in the calendar's time zone: give it without one"
            )
        return at


class Override(BaseModel):
    """A one-off change: ``person_id`` is on call for ``layer`` from ``start`` until ``end``."""

    model_config = ConfigDict(extra="forbid")

    layer: str
    person_id: str = Field(min_length=1, max_length=128)
    start: datetime
    end: datetime
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _aware_and_ordered(self) -> Override:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("an override's start and end need a time zone (e.g. ...Z)")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")
        return self


class OnCall(BaseModel):
    """Who takes urgent issues outside working hours: layer 1's person first, and
    the next layer's whenever the one called does not acknowledge in time."""

    model_config = ConfigDict(extra="forbid")

    layers: list[RotationLayer] = Field(min_length=1, max_length=10)
    overrides: list[Override] = Field(default=[], max_length=500)

    @model_validator(mode="after")
    def _layers_named_once(self) -> OnCall:
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ValueError("on-call layer names must be unique")
        for override in self.overrides:
            if override.layer not in names:
                raise ValueError(f"an override names unknown layer {override.layer!r}")
        return self

    def people(self) -> set[str]:
        return {p for layer in self.layers for p in layer.people} | {
            o.person_id for o in self.overrides
        }


class InternalTarget(BaseModel):
    """How fast the department answers requests from another department's
    employees (e.g. IT acknowledges sales within 4 working hours). Working hours
    for low and normal priority, hours on the clock for high and urgent."""

    model_config = ConfigDict(extra="forbid")

    requester: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    acknowledge_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    resolve_hours: float | None = Field(default=None, gt=0, le=24 * 365)

    @model_validator(mode="after")
    def _says_something(self) -> InternalTarget:
        if self.acknowledge_hours is None and self.resolve_hours is None:
            raise ValueError(
                f"the target for {self.requester!r} needs acknowledge or resolve hours"
            )
        return self
