"""Scorecards, per department and per liaison, over the last 30 days: from the
stays and acts the read model keeps (the same stays the issue's trace shows),
counted by the database.

- acknowledged on time: of the routed issues whose acknowledge clock ran out or
  was met, those acknowledged before it ran out;
- time to acknowledge (routed issues) and to resolve (each stay that ended in a
  resolution), median and p90;
- hand-offs in (stays that began with an accepted hand-off) and out, declines,
  help answered (on time).
- satisfaction: the reporters' ratings (1-5) given in the period, their average
  and how many came with a comment, for the department and the person that
  resolved the issue (``issue_ratings``, folded from ``IssueRated``).
A person is counted for what they did: acknowledged (or, not yet, held),
resolved, accepted, handed off, declined, answered, was rated for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.kept import Kept
from baton_workspace.projection.models import Act, Rating, Stay

DAYS = 30


@dataclass(frozen=True)
class Durations:
    count: int = 0
    median: float | None = None  # minutes
    p90: float | None = None


def p90_index(n: int) -> int:
    """The p90's place (from 0) among ``n`` sorted values, rounding half up."""
    return (9 * (n - 1) + 5) // 10


@dataclass
class Card:
    name: str
    department: str = ""
    assigned: int = 0
    on_time: int = 0
    judged: int = 0  # acknowledged, or past the deadline
    acknowledge: Durations = field(default_factory=Durations)
    resolve: Durations = field(default_factory=Durations)
    resolved: int = 0
    handoffs_in: int = 0
    handoffs_out: int = 0
    declines: int = 0
    help_answered: int = 0
    help_on_time: int = 0
    rated: int = 0
    rating_total: int = 0
    commented: int = 0

    @property
    def rating_average(self) -> float | None:
        return self.rating_total / self.rated if self.rated else None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


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


async def quantiles(
    session: AsyncSession, value: Any, groups: list[Any], where: Any
) -> dict[tuple[Any, ...], Durations]:
    """Median and p90 of ``value`` per group, picked by the database (window
    functions): only the middle and the p90 rows come back, however many there are."""
    ranked = (
        select(
            *groups,
            value.label("v"),
            func.row_number().over(partition_by=groups, order_by=value).label("rn"),
            func.count().over(partition_by=groups).label("n"),
        )
        .where(where, value.is_not(None))
        .subquery()
    )
    keys = [ranked.c[g.key] for g in groups]
    n, rn = ranked.c.n, ranked.c.rn
    # // is integer division in SQL too (SQLAlchemy renders / as true division).
    wanted = (rn == (n + 1) // 2) | (rn == (n + 2) // 2) | (rn == (9 * (n - 1) + 5) // 10 + 1)
    rows = await session.exec(select(*keys, ranked.c.v, rn, n).where(wanted))  # type: ignore[call-overload]
    picked: dict[tuple[Any, ...], dict[int, float]] = {}
    sizes: dict[tuple[Any, ...], int] = {}
    for *key, v, place, size in rows.all():
        picked.setdefault(tuple(key), {})[place] = v
        sizes[tuple(key)] = size
    found = {}
    for key, at in picked.items():
        size = sizes[key]
        middle = (at[(size + 1) // 2] + at[(size + 2) // 2]) / 2
        found[key] = Durations(size, round(middle, 1), round(at[p90_index(size) + 1], 1))
    return found


async def scores(
    session: AsyncSession, *, now: datetime, days: int = DAYS, people: bool = True
) -> Scores:
    """``people=False``: the departments' cards only (the stall board's chart)."""
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
    for department, who, n, in_time, counted in taken.all():
        for card in out.cards(department, who if people else None):
            card.assigned += n
            card.on_time += in_time or 0
            card.judged += counted or 0
    outcomes = await session.exec(
        select(Stay.department, Stay.ended_by, Stay.outcome, func.count())  # type: ignore[call-overload]
        .where(col(Stay.ended_at) >= since)
        .group_by(Stay.department, Stay.ended_by, Stay.outcome)
    )
    for department, who, outcome, n in outcomes.all():
        for card in out.cards(department, who if people else None):
            card.resolved += n if outcome == "resolved" else 0
            card.handoffs_out += n if outcome == "handed_off" else 0
    received = await session.exec(
        select(Stay.department, Stay.credited_to, func.count())  # type: ignore[call-overload]
        .where(col(Stay.started_at) >= since, Stay.via == "handoff")
        .group_by(Stay.department, Stay.credited_to)
    )
    for department, who, n in received.all():
        for card in out.cards(department, who if people else None):
            card.handoffs_in += n
    acts = await session.exec(
        select(Act.department, Act.person_id, Act.kind, func.count(), _sum(col(Act.on_time)))  # type: ignore[call-overload]
        .where(Act.at >= since, col(Act.kind).in_(["declined", "help_answered"]))
        .group_by(Act.department, Act.person_id, Act.kind)
    )
    for department, who, kind, n, in_time in acts.all():
        for card in out.cards(department, who if people else None):
            if kind == "declined":
                card.declines += n
            else:
                card.help_answered += n
                card.help_on_time += in_time or 0
    ratings = await session.exec(
        select(Rating.department, Rating.person_id, func.count(), func.sum(Rating.rating),  # type: ignore[call-overload]
               _sum(col(Rating.commented)))
        .where(Rating.rated_at >= since, Rating.department != "")
        .group_by(Rating.department, Rating.person_id)
    )  # fmt: skip
    for department, who, n, total, commented in ratings.all():
        for card in out.cards(department, who if people else None):
            card.rated += n
            card.rating_total += total or 0
            card.commented += commented or 0
    resolved = and_(col(Stay.ended_at) >= since, Stay.outcome == "resolved")
    ack, res = col(Stay.acknowledge_minutes), col(Stay.resolve_minutes)
    await _times(session, out.departments, "acknowledge", ack, col(Stay.department), routed)
    await _times(session, out.departments, "resolve", res, col(Stay.department), resolved)
    if people:
        await _times(session, out.people, "acknowledge", ack, col(Stay.credited_to), routed)
        await _times(session, out.people, "resolve", res, col(Stay.ended_by), resolved)
    return out


async def _times(
    session: AsyncSession, cards: dict[str, Card], name: str, value: Any, group: Any, where: Any
) -> None:
    for (key,), durations in (await quantiles(session, value, [group], where)).items():
        if key in cards:
            setattr(cards[key], name, durations)


class Recent:
    """The 30-day scores, kept ``seconds`` in this process: they move slowly, and
    every employee's stall board and scorecards ask for them (counting 30 days of
    stays on each request is what made those pages slow with 10,000 open issues).
    0 seconds keeps nothing."""

    def __init__(self, seconds: float) -> None:
        self._kept: Kept[bool, Scores] = Kept(seconds)

    async def get(self, session: AsyncSession, *, now: datetime, people: bool = True) -> Scores:
        return await self._kept.get(
            people, lambda: scores(session, now=now, people=people), keep=lambda _: True
        )
