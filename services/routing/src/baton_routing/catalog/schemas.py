"""The catalog as documents: departments, rules, emphasis, and the API bodies about them."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any

import re2
from baton_contracts import Calendar, InternalTarget, IssueReported, OnCall, Person
from baton_contracts.common import Priority
from baton_runtime.workingtime import check_public_holidays
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

FALLBACK_DEPARTMENT = "customer_service"
MAX_REGEXES = 20
MAX_REGEX_CHARS = 300
# How much of an issue's text a rule's regexes search.
MAX_SEARCHED_CHARS = 20_000


def _re2(pattern: str) -> Any:
    """Case-insensitive, on RE2."""
    return re2.compile(f"(?i){pattern}")


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 64: what every service stores a department name in.
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    # What the department owns, and requests it owns as people write them (any
    # language): the router compares every issue with them, so it works before any
    # history exists. Versions stored before examples existed load with none.
    description: str
    examples: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default=[], max_length=100
    )
    # The least calibrated confidence at which the router sends an issue here
    # (None: the calibrated threshold, see classifier/calibration.py).
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    liaisons: list[Person] = Field(min_length=1)
    # Who the department's issues escalate to, and who holds them when no liaison is
    # free. Catalog versions from before 0.2 (and their YAML) say escalation_contact.
    head: Person = Field(validation_alias=AliasChoices("head", "escalation_contact"))
    # The department's own time to resolve, in hours (None: ownership's defaults by
    # priority). Formerly deadline_hours.
    resolve_hours: float | None = Field(
        default=None, gt=0, validation_alias=AliasChoices("resolve_hours", "deadline_hours")
    )
    # When the department works (None: around the clock). Deadlines for low and
    # normal priority count its working time; high and urgent count the clock.
    calendar: Calendar | None = None
    # Who takes urgent issues outside the calendar's hours, layer by layer.
    on_call: OnCall | None = None
    # How fast it answers other departments' employees, per requesting department.
    internal_targets: list[InternalTarget] = Field(default=[], max_length=100)

    @model_validator(mode="after")
    def _working_time_consistent(self) -> Department:
        if self.calendar is not None and self.calendar.holidays is not None:
            check_public_holidays(self.calendar.holidays)
        if self.on_call is not None:
            if self.calendar is None:
                raise ValueError(
                    f"{self.name}: on call covers the hours outside working hours; "
                    "give the department a calendar first"
                )
            members = {p.id for p in self.liaisons} | {self.head.id}
            strangers = sorted(self.on_call.people() - members)
            if strangers:
                raise ValueError(
                    f"{self.name}: on call names {', '.join(strangers)}, who are neither its "
                    "liaisons nor its head"
                )
        requesters = [t.requester for t in self.internal_targets]
        if len(set(requesters)) != len(requesters):
            raise ValueError(f"{self.name}: one internal target per requesting department")
        return self


class Rule(BaseModel):
    """Conditions (all given ones must hold) and an action (department, optional priority).

    Empty condition lists mean "any". Keywords are whole words or phrases, any case;
    regexes are searched in the subject and description, case-insensitive.
    """

    model_config = ConfigDict(extra="forbid", ignored_types=(cached_property,))

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=128)
    description: str = ""
    department: str
    priority: Priority | None = None  # the action may also set the issue's priority
    keywords: list[str] = []
    # Run on RE2 (linear time: no pattern can stall routing), so look-arounds and
    # back-references are refused with a 422 that says so.
    regexes: list[Annotated[str, Field(min_length=1, max_length=MAX_REGEX_CHARS)]] = Field(
        default=[], max_length=MAX_REGEXES
    )
    channels: list[str] = []
    reporter_kinds: list[str] = []
    reporter_departments: list[str] = []
    priorities: list[Priority] = []
    customer_tiers: list[str] = []
    products: list[str] = []
    languages: list[str] = []

    @field_validator("regexes")
    @classmethod
    def _compiles(cls, regexes: list[str]) -> list[str]:
        for r in regexes:
            try:
                _re2(r)
            except re2.error as e:
                why = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
                raise ValueError(
                    f"regex {r!r} does not compile on RE2 (no look-arounds or "
                    f"back-references): {why}"
                ) from None
        return regexes

    @model_validator(mode="after")
    def _has_a_condition(self) -> Rule:
        conditions = [
            self.keywords, self.regexes, self.channels, self.reporter_kinds,
            self.reporter_departments, self.priorities, self.customer_tiers,
            self.products, self.languages,
        ]  # fmt: skip
        if not any(conditions):
            raise ValueError(f"rule {self.id!r} needs at least one condition")
        return self

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        # Whole words or phrases, case-insensitive; the longest alternatives first
        # so "cancel order" is reported rather than "order".
        if not self.keywords:
            return None
        words = sorted((k.strip().lower() for k in self.keywords), key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)

    @cached_property
    def compiled(self) -> list[tuple[str, Any]]:
        return [(r, _re2(r)) for r in self.regexes]

    def first_match(self, text: str) -> str | None:
        found = self.pattern.search(text) if self.pattern else None
        return " ".join(found.group(0).lower().split()) if found else None

    def matches(self, issue: IssueReported) -> str | None:
        """Why the rule matches (words), or None when it does not."""
        fields = [
            ("channel", self.channels, issue.channel),
            ("reporter kind", self.reporter_kinds, issue.reporter.kind),
            ("reporter department", self.reporter_departments, issue.reporter.department),
            ("priority", self.priorities, issue.priority),
            ("customer tier", self.customer_tiers, issue.customer_tier),
            ("product", self.products, issue.product),
            ("language", self.languages, issue.language),
        ]
        why: list[str] = []
        for label, wanted, value in fields:
            if wanted:
                if value not in wanted:
                    return None
                why.append(f"{label} {value!r}")
        text = f"{issue.subject}\n{issue.description}"
        if self.keywords:
            keyword = self.first_match(text)
            if keyword is None:
                return None
            why.append(f"the keyword {keyword!r}")
        if self.regexes:
            searched = text[:MAX_SEARCHED_CHARS]
            hit = next((r for r, p in self.compiled if p.search(searched)), None)
            if hit is None:
                return None
            why.append(f"the regex {hit!r}")
        return " and ".join(why)


def _once(values: list[str], error: str) -> None:
    """Refuses (``error``) a list that holds a value twice."""
    if len(set(values)) != len(values):
        raise ValueError(error)


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    departments: list[Department]
    rules: list[Rule]
    # Ranked departments: when rules for several departments match, the highest wins.
    emphasis: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        names = [d.name for d in self.departments]
        _once(names, "department names must be unique")
        if FALLBACK_DEPARTMENT not in names:
            raise ValueError(
                f"the catalog needs a {FALLBACK_DEPARTMENT!r} department (the fallback)"
            )
        _once([r.id for r in self.rules], "rule ids must be unique")
        for rule in self.rules:
            if rule.department not in names:
                raise ValueError(f"rule {rule.id!r} names unknown department {rule.department!r}")
        _once(self.emphasis, "emphasis lists a department twice")
        for name in self.emphasis:
            if name not in names:
                raise ValueError(f"emphasis names unknown department {name!r}")
        for department in self.departments:
            for target in department.internal_targets:
                if target.requester not in names:
                    raise ValueError(
                        f"{department.name}: an internal target names unknown department "
                        f"{target.requester!r}"
                    )
        return self

    def department(self, name: str) -> Department:
        return next(d for d in self.departments if d.name == name)

    def rank(self, department: str) -> int:
        """Emphasis rank: lower wins; departments not in the emphasis come after, tied."""
        try:
            return self.emphasis.index(department)
        except ValueError:
            return len(self.emphasis)


class Emphasis(BaseModel):
    ranking: list[str]


class OnCallLayerNow(BaseModel):
    layer: str
    person_id: str


class OnCallNow(BaseModel):
    """Who is on call for a department at a moment, and whether it is within its
    working hours (then urgent issues go to liaisons as usual)."""

    department: str
    at: datetime
    working_hours: bool
    layers: list[OnCallLayerNow]


class VersionPublic(BaseModel):
    version: int
    actor: str
    change: str
    created_at: datetime
