"""The live stall signals: the gauges' query over real rows, and the counters a
committed change adds to (never one that rolled back)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from baton_ownership.assignment import service as assignment
from baton_ownership.core import metrics
from baton_ownership.core.store import Ctx
from baton_ownership.deadlines import clocks
from baton_ownership.deadlines import service as deadlines
from baton_ownership.insights import live, stays
from baton_ownership.lifecycle import service as lifecycle
from baton_runtime.metrics import DEPARTMENT
from opentelemetry.metrics import CallbackOptions

from .conftest import person

OPS = "operations"


class Recorded:
    """Stands in for a counter or histogram: what was added, by labels."""

    def __init__(self) -> None:
        self.values: dict[frozenset, list[float]] = defaultdict(list)

    def add(self, value: float, attributes: dict[str, str]) -> None:
        self.values[frozenset(attributes.items())].append(value)

    record = add

    def total(self, **labels: str) -> float:
        return sum(sum(v) for k, v in self.values.items() if set(labels.items()) <= set(k))


INSTRUMENTS = ("assignments", "escalations", "handoffs", "declines", "silo_alarms",
               "acknowledge_duration", "resolve_duration")  # fmt: skip


@pytest.fixture
def counted(monkeypatch) -> dict[str, Recorded]:
    recorded = {name: Recorded() for name in INSTRUMENTS}
    for name, fake in recorded.items():
        monkeypatch.setattr(metrics, name, fake)
    return recorded


@pytest.fixture
def act(db, settings, clock):
    """One lifecycle step in its own transaction, then what waits for the commit."""

    async def run(actor: str, step, **kw):
        ctx = None
        async with db.transaction() as session:
            ctx = Ctx(session=session, settings=settings, actor_id=actor, clock=clock)
            result = await step(ctx, **kw)
        ctx.committed()
        return result

    return run


async def routed(db, settings, clock, issue_id: str, department: str, priority: str):
    """As ownership's IssueRouted handler does: an owner, the clocks, the stay."""
    async with db.transaction() as session:
        await directory_with_customer_service(session)
        issue = await assignment.assign(
            session=session, issue_id=issue_id, department=department, priority=priority,
            now=clock(),
        )  # fmt: skip
        ctx = Ctx(session=session, settings=settings, actor_id="baton-routing", clock=clock)
        for kind in ("acknowledge", "resolve"):
            await clocks.start(session, issue, kind, settings=settings, now=clock())
        stays.begin(ctx, issue, via="routing", at=clock())
    return issue


async def directory_with_customer_service(session) -> None:
    from baton_ownership.directory import service as directory

    await directory.upsert_department(
        session=session, department="customer_service", liaisons=[person("cs-maya")],
        head=person("cs-head"),
    )  # fmt: skip


def observed(callback) -> dict[frozenset, float]:
    return {frozenset(o.attributes.items()): o.value for o in callback(CallbackOptions())}


async def test_the_gauges_count_open_unacknowledged_oldest_and_overdue_per_department(
    db, settings, clock, act
):
    await routed(db, settings, clock, "i-1", OPS, "normal")  # 09:00
    clock.advance(minutes=30)
    await routed(db, settings, clock, "i-2", OPS, "normal")  # 09:30
    await routed(db, settings, clock, "i-3", OPS, "urgent")
    await routed(db, settings, clock, "i-4", "finance", "normal")
    await act("ops-ben", lifecycle.acknowledge, issue_id="i-2", version=1)
    await act("fin-gita", lifecycle.resolve, issue_id="i-4", version=1, resolution="refunded")

    clock.advance(minutes=30)  # 10:00: urgent issues are acknowledged within 15 minutes
    await deadlines.check(db=db, settings=settings, clock=clock)
    found = await live.measure(db=db, clock=clock)

    assert found.open == {(OPS, "normal"): 2, (OPS, "urgent"): 1}  # finance resolved its one
    assert found.unacknowledged == {(OPS, "normal"): 1, (OPS, "urgent"): 1}
    assert found.oldest_age_s == {(OPS, "normal"): 3600.0, (OPS, "urgent"): 1800.0}
    # The urgent clock ran out and escalated (its next step is due later): still overdue.
    assert found.overdue == {(OPS, "urgent", "acknowledge"): 1}

    # What /metrics shows is the swapped-in snapshot, labelled by department and priority.
    assert observed(metrics.open_issues) == {
        frozenset({DEPARTMENT: OPS, metrics.PRIORITY: "normal"}.items()): 2,
        frozenset({DEPARTMENT: OPS, metrics.PRIORITY: "urgent"}.items()): 1,
    }
    assert observed(metrics.overdue_deadlines) == {
        frozenset(
            {DEPARTMENT: OPS, metrics.PRIORITY: "urgent", metrics.DEADLINE: "acknowledge"}.items()
        ): 1
    }

    # Acknowledged at last: the acknowledge clock no longer counts as overdue.
    await act("ops-head", lifecycle.acknowledge, issue_id="i-3", version=2)
    assert (await live.measure(db=db, clock=clock)).overdue == {}


async def test_a_committed_change_is_counted_once_by_department_and_priority(
    db, settings, clock, act, counted
):
    await routed(db, settings, clock, "i-1", OPS, "high")
    clock.advance(minutes=20)
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    _, handoff = await act(
        "ops-ana", lifecycle.request_handoff, issue_id="i-1", version=2,
        to_department="finance", to_person_id=None, reason="billing",
    )  # fmt: skip
    await act(
        "fin-gita", lifecycle.decline_handoff, issue_id="i-1", handoff_id=handoff.id,
        version=3, reason="not ours", suggested_department="it",
    )  # fmt: skip
    _, handoff = await act(
        "ops-ana", lifecycle.request_handoff, issue_id="i-1", version=4,
        to_department="it", to_person_id=None, reason="a login problem",
    )  # fmt: skip
    clock.advance(minutes=10)
    await act("it-kofi", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=5)
    clock.advance(hours=2)
    await act("it-kofi", lifecycle.resolve, issue_id="i-1", version=6, resolution="reset")

    high = {metrics.PRIORITY: "high"}
    assert counted["declines"].total(**{DEPARTMENT: "finance", metrics.FROM: OPS}, **high) == 1
    assert counted["handoffs"].total(**{metrics.FROM: OPS, metrics.TO: "it"}, **high) == 1
    assert counted["assignments"].total(**{DEPARTMENT: "it", metrics.VIA: "handoff"}) == 1
    assert counted["acknowledge_duration"].values == {
        frozenset({DEPARTMENT: OPS, **high}.items()): [1200.0]
    }
    # Time to resolve is the resolving department's stay: from the hand-off on.
    assert counted["resolve_duration"].values == {
        frozenset({DEPARTMENT: "it", **high}.items()): [7200.0]
    }

    # A change applied in a transaction that then rolls back counts nothing.
    await act("it-kofi", lifecycle.reopen, issue_id="i-1", version=7, reason="again")

    async def resolve_then_fail(ctx, **kw):
        await lifecycle.resolve(ctx, **kw)
        await stays_changed_then(ctx)

    with pytest.raises(RuntimeError):
        await act("it-kofi", resolve_then_fail, issue_id="i-1", version=8, resolution="again")
    assert (await current_version(db, "i-1")) == 8
    assert counted["resolve_duration"].total() == 7200.0


async def stays_changed_then(ctx) -> None:
    await ctx.session.flush()  # the resolution is written...
    raise RuntimeError("...and the transaction fails after it")


async def current_version(db, issue_id: str) -> int:
    from baton_ownership.core.models import IssueOwner

    async with db.session() as session:
        return (await session.get(IssueOwner, issue_id)).version


async def test_escalations_count_by_reason_once_the_checker_commits(db, settings, clock, counted):
    await routed(db, settings, clock, "i-1", OPS, "normal")
    clock.advance(hours=4, minutes=1)  # normal issues: acknowledged within 4 hours
    assert await deadlines.check(db=db, settings=settings, clock=clock) == 1
    assert (
        counted["escalations"].total(
            **{DEPARTMENT: OPS, metrics.PRIORITY: "normal", metrics.REASON: "acknowledge_overdue"}
        )
        == 1
    )
    assert await deadlines.check(db=db, settings=settings, clock=clock) == 0
    assert counted["escalations"].total() == 1
