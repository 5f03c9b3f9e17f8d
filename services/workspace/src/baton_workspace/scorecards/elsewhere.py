"""What the scorecards cannot count from events: figures that need the working
hours of each department and person (their calendars live in ownership and
notifications). Read live from their APIs as the signed-in person, one call per
department and service at once, with a short timeout: an answer missing (the
service down, slow or refusing) leaves a gap the page names, never an error.

- interrupt load: issues received (ownership's scorecard) and notices received
  (notifications' ``GET /v1/interrupts``), within and outside working hours, per
  working hour, per department and per person;
- internal customers: the requests a department served (by requesting
  department) and made (by serving department), their working times and targets
  met, from ownership's scorecard; each pair's targets from the workspace's own
  ``department_views`` (``DepartmentUpdated.internal_targets``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from baton_workspace.commands import Answer, Notifications, Ownership
from baton_workspace.kept import Kept

TIMEOUT_S = 3.0
# A ``Load`` figure (after ``issues_`` or ``notices_``) and the key it is answered under.
_FIGURES = {
    "within": "within_working_hours",
    "outside": "outside_working_hours",
    "per_working_hour": "per_working_hour",
}


@dataclass
class Load:
    """Issues and notices received, within and outside working hours (None: not known)."""

    department: str = ""  # a person's: the department whose figures named them
    issues_within: int | None = None
    issues_outside: int | None = None
    issues_per_working_hour: float | None = None
    notices_within: int | None = None
    notices_outside: int | None = None
    notices_per_working_hour: float | None = None


@dataclass
class Pair:
    department: str | None  # the other department: who asked, or who served
    count: int
    resolved: int
    median_working_minutes_to_resolve: float | None
    target: dict[str, Any] | None = None  # {"acknowledge_hours", "resolve_hours"}


@dataclass
class Requests:
    count: int
    resolved: int
    acknowledge: dict[str, Any]  # working time: {"count", "median_minutes", "p90_minutes"}
    resolve: dict[str, Any]
    targets_met: int
    targets_missed: int
    pairs: list[Pair]


@dataclass
class Elsewhere:
    """Per department shown: its load and its people's, its internal requests;
    and which departments each service did not answer for."""

    load: dict[str, Load] = field(default_factory=dict)
    people: dict[str, Load] = field(default_factory=dict)
    served: dict[str, Requests] = field(default_factory=dict)
    made: dict[str, Requests] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)  # service -> departments

    @property
    def internal(self) -> bool:
        """Whether any department shown served or made an internal request."""
        return any(r.count for r in (*self.served.values(), *self.made.values()))


def _ok(answer: Answer) -> bool:
    return answer.ok


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _requests(body: Any, *, targets: dict[str, dict[str, Any]]) -> Requests | None:
    """``targets``: each pair's, by the other department's name."""
    if not isinstance(body, dict):
        return None
    return Requests(
        count=int(body.get("count") or 0),
        resolved=int(body.get("resolved") or 0),
        acknowledge=body.get("working_time_to_acknowledge") or {},
        resolve=body.get("working_time_to_resolve") or {},
        targets_met=int(body.get("targets_met") or 0),
        targets_missed=int(body.get("targets_missed") or 0),
        pairs=[
            Pair(
                p.get("department"), int(p.get("count") or 0), int(p.get("resolved") or 0),
                p.get("median_working_minutes_to_resolve"), targets.get(p.get("department") or ""),
            )
            for p in body.get("by_department") or []
            if isinstance(p, dict)
        ],
    )  # fmt: skip


def _targets_of(view_targets: dict[str, list[dict[str, Any]]], serving: str) -> dict[str, Any]:
    return {t["requester"]: t for t in view_targets.get(serving, []) if "requester" in t}


# Answers kept per (service, department): the same for every employee
# (scorecards are open to all), and slow to move; only good answers are kept.
Cache = Kept[tuple[str, str], Answer]


async def read(
    *,
    ownership: Ownership,
    notifications: Notifications,
    cache: Cache,
    auth: dict[str, str],
    departments: list[str],
    since: datetime,
    until: datetime,
    targets: dict[str, list[dict[str, Any]]],
) -> Elsewhere:
    """``targets``: each department's internal targets, from the read model."""
    period = {"since": _iso(since), "until": _iso(until), "auth": auth, "within_s": TIMEOUT_S}

    def card(d: str) -> Any:
        return cache.get(("ownership", d), lambda: ownership.scorecard(d, **period), keep=_ok)

    def notices(d: str) -> Any:
        return cache.get(
            ("notifications", d), lambda: notifications.interrupts(d, **period), keep=_ok
        )

    both = await asyncio.gather(*(card(d) for d in departments), *(notices(d) for d in departments))
    answers, noticed = both[: len(departments)], both[len(departments) :]
    out = Elsewhere(missing={"Ownership": [], "Notifications": []})
    for department, scorecard, notice in zip(departments, answers, noticed, strict=True):
        load = out.load.setdefault(department, Load())
        if scorecard.ok and isinstance(scorecard.body, dict):
            _issues(out, department, load, scorecard.body.get("interrupts"))
            own = _targets_of(targets, department)
            served = _requests(scorecard.body.get("internal_requests_served"), targets=own)
            # What the department's people asked of others: each server's target for it.
            theirs = {s: t for s in targets if (t := _targets_of(targets, s).get(department))}
            made = _requests(scorecard.body.get("internal_requests_made"), targets=theirs)
            if served is not None:
                out.served[department] = served
            if made is not None:
                out.made[department] = made
        else:
            out.missing["Ownership"].append(department)
        if notice.ok and isinstance(notice.body, dict):
            _notices(out, department, load, notice.body)
        else:
            out.missing["Notifications"].append(department)
    return out


def _issues(out: Elsewhere, department: str, load: Load, body: Any) -> None:
    if isinstance(body, dict):
        _figures(out, department, load, body, kind="issues", keys="issues_")


def _notices(out: Elsewhere, department: str, load: Load, body: dict[str, Any]) -> None:
    _figures(out, department, load, body, kind="notices", keys="")


def _figures(
    out: Elsewhere, department: str, load: Load, body: dict[str, Any], *, kind: str, keys: str
) -> None:
    """Set the department's and each person's three ``kind`` figures (issues or
    notices) from ``body``, where their names start with ``keys``."""
    people = [
        (out.people.setdefault(person.get("person_id", ""), Load(department)), person)
        for person in body.get("people") or []
    ]
    for figures, said in [(load, body), *people]:
        for name, key in _FIGURES.items():
            setattr(figures, f"{kind}_{name}", said.get(keys + key))
