"""Scorecards, per department and per liaison, over the last 30 days: from the
stays and acts the read model keeps (the same stays the issue's trace shows),
counted by the database.

- acknowledged on time: of the routed issues whose acknowledge clock ran out or
  was met, those acknowledged before it ran out;
- time to acknowledge (routed issues) and to resolve (each stay that ended in a
  resolution), median and p90;
- hand-offs in (stays that began with an accepted hand-off) and out, declines,
  help answered (on time).
A person is counted for what they did: acknowledged (or, not yet, held),
resolved, accepted, handed off, declined, answered.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func
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


@dataclass
class Scores:
    since: datetime
    until: datetime
    departments: dict[str, Card]
    people: dict[str, Card]

    def cards(self, department: str, person: str | None) -> list[Card]:
        """The department's card, and the person's (not the system's: routing,
        the deadline checker)."""
        found = [self.departments.setdefault(department, Card(department))]
        if person and not person.startswith("baton-"):
            found.append(self.people.setdefault(person, Card(person, department)))
        return found


def _sum(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


async def scores(session: AsyncSession, *, now: datetime, days: int = DAYS) -> Scores:
    since = now - timedelta(days=days)
    out = Scores(since, now, {}, {})
    routed = and_(col(Stay.started_at) >= since, Stay.via == "routing")
    acknowledged = col(Stay.acknowledged_at).is_not(None)
    judged = and_(
        col(Stay.acknowledge_due_at).is_not(None),
        acknowledged | (col(Stay.acknowledge_due_at) <= now),
    )
    on_time = and_(acknowledged, col(Stay.acknowledged_at) <= col(Stay.acknowledge_due_at))
    taken = await session.exec(
        select(Stay.department, Stay.credited_to, func.count(), _sum(on_time), _sum(judged))  # type: ignore[call-overload]
        .where(routed)
        .group_by(Stay.department, Stay.credited_to)
    )
    for department, person, n, in_time, counted in taken.all():
        for card in out.cards(department, person):
            card.assigned += n
            card.on_time += in_time or 0
            card.judged += counted or 0
    minutes = await session.exec(
        select(Stay.department, Stay.credited_to, Stay.acknowledge_minutes).where(
            routed, col(Stay.acknowledge_minutes).is_not(None)
        )
    )
    for department, person, value in minutes.all():
        for card in out.cards(department, person):
            card.to_acknowledge.append(value)
    ended = await session.exec(
        select(Stay.department, Stay.ended_by, Stay.outcome, Stay.resolve_minutes).where(
            col(Stay.ended_at) >= since
        )
    )
    for department, person, outcome, value in ended.all():
        for card in out.cards(department, person):
            if outcome == "resolved":
                card.resolved += 1
                card.to_resolve.append(value)
            elif outcome == "handed_off":
                card.handoffs_out += 1
    received = await session.exec(
        select(Stay.department, Stay.credited_to, func.count())  # type: ignore[call-overload]
        .where(col(Stay.started_at) >= since, Stay.via == "handoff")
        .group_by(Stay.department, Stay.credited_to)
    )
    for department, person, n in received.all():
        for card in out.cards(department, person):
            card.handoffs_in += n
    acts = await session.exec(
        select(Act.department, Act.person_id, Act.kind, func.count(), _sum(col(Act.on_time)))  # type: ignore[call-overload]
        .where(Act.at >= since, col(Act.kind).in_(["declined", "help_answered"]))
        .group_by(Act.department, Act.person_id, Act.kind)
    )
    for department, person, kind, n, in_time in acts.all():
        for card in out.cards(department, person):
            if kind == "declined":
                card.declines += n
            else:
                card.help_answered += n
                card.help_on_time += in_time or 0
    return out
