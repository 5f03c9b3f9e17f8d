"""Scorecards, per department and per liaison, over the last 30 days: from the
stays and acts the read model keeps (the same stays the issue's trace shows).

- acknowledged on time: of the routed issues whose acknowledge clock ran out or
  was met, those acknowledged before it ran out;
- time to acknowledge (routed issues) and to resolve (each stay that ended in a
  resolution), median and p90;
- hand-offs in (stays that began with an accepted hand-off) and out, declines,
  help answered (on time).
A person is counted for what they did: acknowledged, resolved, accepted, handed
off, declined, answered.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.projection.models import Act, Stay

DAYS = 30


@dataclass(frozen=True)
class Durations:
    count: int
    median: float | None  # minutes
    p90: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> Durations:
        if not minutes:
            return cls(0, None, None)
        ordered = sorted(minutes)
        p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        return cls(len(ordered), round(statistics.median(ordered), 1), round(p90, 1))


@dataclass
class Card:
    name: str
    department: str = ""
    assigned: int = 0
    on_time: int = 0
    judged: int = 0  # acknowledged, or past the deadline
    to_acknowledge: list[float] = field(default_factory=list)
    to_resolve: list[float] = field(default_factory=list)
    resolved: int = 0
    handoffs_in: int = 0
    handoffs_out: int = 0
    declines: int = 0
    help_answered: int = 0
    help_on_time: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def acknowledge(self) -> Durations:
        return Durations.of(self.to_acknowledge)

    @property
    def resolve(self) -> Durations:
        return Durations.of(self.to_resolve)


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


@dataclass
class Scores:
    since: datetime
    until: datetime
    departments: dict[str, Card]
    people: dict[str, Card]


def score(stays: list[Stay], acts: list[Act], *, since: datetime, now: datetime) -> Scores:
    departments: dict[str, Card] = {}
    people: dict[str, Card] = {}

    def cards(department: str, person: str | None) -> list[Card]:
        found = [departments.setdefault(department, Card(department))]
        if person and not person.startswith("baton-"):
            found.append(people.setdefault(person, Card(person, department)))
        return found

    for s in stays:
        began_here = s.started_at >= since
        if began_here and s.via == "routing":
            for c in cards(s.department, s.acknowledged_by or s.owner_id):
                c.assigned += 1
                if s.acknowledged_at is not None:
                    c.to_acknowledge.append(_minutes(s.started_at, s.acknowledged_at))
                due = s.acknowledge_due_at
                if due is not None and (s.acknowledged_at is not None or due <= now):
                    c.judged += 1
                    c.on_time += s.acknowledged_at is not None and s.acknowledged_at <= due
        if began_here and s.via == "handoff":
            for c in cards(s.department, s.acknowledged_by or s.owner_id):
                c.handoffs_in += 1
        if s.ended_at is not None and s.ended_at >= since:
            if s.outcome == "resolved":
                for c in cards(s.department, s.ended_by):
                    c.resolved += 1
                    c.to_resolve.append(_minutes(s.started_at, s.ended_at))
            elif s.outcome == "handed_off":
                for c in cards(s.department, s.ended_by):
                    c.handoffs_out += 1
    for a in acts:
        if a.kind == "declined":
            for c in cards(a.department, a.person_id):
                c.declines += 1
        elif a.kind == "help_answered":
            for c in cards(a.department, a.person_id):
                c.help_answered += 1
                c.help_on_time += bool(a.on_time)
    return Scores(since, now, departments, people)


async def scores(session: AsyncSession, *, now: datetime, days: int = DAYS) -> Scores:
    since = now - timedelta(days=days)
    stays = await session.exec(
        select(Stay).where(or_(col(Stay.started_at) >= since, col(Stay.ended_at) >= since))
    )
    acts = await session.exec(
        select(Act).where(Act.at >= since, col(Act.kind).in_(["declined", "help_answered"]))
    )
    return score(list(stays.all()), list(acts.all()), since=since, now=now)
