"""Deadlines pass and issues escalate along the chain, without sleeping: the
tests move the clock."""

from datetime import UTC, datetime, timedelta

import pytest
from baton_contracts import Escalated, OwnerAssigned, parse_event
from baton_ownership.assignment import service as assignment
from baton_ownership.core.models import IssueOwner
from baton_ownership.core.state import aware
from baton_ownership.core.store import Ctx
from baton_ownership.deadlines import clocks
from baton_ownership.deadlines import service as deadlines
from baton_ownership.deadlines.models import Deadline
from baton_ownership.directory import service as directory
from baton_ownership.insights import stays
from baton_ownership.lifecycle import service as lifecycle
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

from .conftest import MIGRATIONS, announced, person


@pytest.fixture
async def issue(db, settings, clock):
    """A normal-priority issue owned by ops-ana since 09:00, its clocks running:
    acknowledge by 13:00, resolve within three days."""
    async with db.transaction() as session:
        await directory.upsert_department(
            session=session,
            department="customer_service",
            liaisons=[person("cs-maya")],
            head=person("cs-head"),
        )
        owner = await assignment.assign(
            session=session, issue_id="i-1", department="operations", now=clock()
        )
        for kind in ("acknowledge", "resolve"):
            await clocks.start(session, owner, kind, settings=settings, now=clock())
        ctx = Ctx(session=session, settings=settings, actor_id="baton-routing", clock=clock)
        stays.begin(ctx, owner, via="routing", at=clock())
    return owner


async def check(db, settings, clock) -> int:
    return await deadlines.check(db=db, settings=settings, clock=clock)


async def escalations(db) -> list:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [
        e.data
        for e in (parse_event(r.payload.encode()) for r in rows)
        if isinstance(e.data, Escalated | OwnerAssigned)
    ]


async def owner(db) -> IssueOwner:
    async with db.session() as session:
        return await session.get(IssueOwner, "i-1")


async def test_nothing_escalates_before_the_deadline(db, settings, clock, issue):
    clock.advance(hours=3, minutes=59)
    assert await check(db, settings, clock) == 0
    assert await escalations(db) == []


async def test_an_owner_who_never_acknowledges_does_not_keep_the_issue(db, settings, clock, issue):
    clock.advance(hours=4, minutes=1)
    assert await check(db, settings, clock) == 1
    assigned, escalated = await escalations(db)
    assert (assigned.owner.id, assigned.via, assigned.previous_owner_id) == (
        "ops-ben",
        "escalation",
        "ops-ana",
    )
    assert (escalated.reason, escalated.level, escalated.to.id, escalated.moved) == (
        "acknowledge_overdue",
        1,
        "ops-ben",
        True,
    )
    assert (await owner(db)).owner_id == "ops-ben"
    # The same deadline is not escalated again until the next step is due.
    assert await check(db, settings, clock) == 0


async def test_the_chain_goes_backup_head_then_customer_service_head(db, settings, clock, issue):
    steps = []
    for _ in range(4):
        clock.advance(hours=5)
        await check(db, settings, clock)
    for event in await escalations(db):
        if isinstance(event, Escalated):
            steps.append((event.level, event.to.id, event.moved))
    assert steps == [(1, "ops-ben", True), (2, "ops-head", True), (3, "cs-head", False)]
    async with db.session() as session:
        ack = (await session.exec(select(Deadline).where(Deadline.kind == "acknowledge"))).one()
    assert ack.status == "exhausted"
    assert (await owner(db)).owner_id == "ops-head"  # notified heads never take it over


async def open_clocks(db) -> dict[str, datetime]:
    async with db.session() as session:
        rows = (await session.exec(select(Deadline).where(Deadline.status == "open"))).all()
    return {r.kind if r.help_id is None else f"help:{r.help_id}": aware(r.due_at) for r in rows}


async def test_each_escalation_step_announces_when_the_next_step_is_due(
    act, db, settings, clock, issue
):
    """Consumers keeping the newest DeadlineSet per clock hold ownership's clocks
    after every step of the chain, moving or only telling, and for help too."""
    await act(
        "ops-ana", lifecycle.ask_help, issue_id="i-1", version=1, department="it",
        question="?", due_in=timedelta(hours=2),
    )  # fmt: skip
    for _ in range(3):  # backup, head, head of customer service; help: kofi, it-head, cs-head
        clock.advance(hours=5)
        assert await check(db, settings, clock) == 2
        escalated = [e for e in await escalations(db) if isinstance(e, Escalated)]
        last = {e.reason: e.version for e in escalated}
        known = await announced(db, "i-1")
        assert {kind: due for kind, (_, due) in known.items()} == await open_clocks(db)
        next_step = clock() + timedelta(minutes=settings.escalation_step_minutes)
        assert known["acknowledge"] == (last["acknowledge_overdue"], next_step)
        assert known["help:1"] == (last["help_overdue"], next_step)
    assert [e.to.id for e in escalated if e.reason == "acknowledge_overdue"] == [
        "ops-ben", "ops-head", "cs-head",
    ]  # fmt: skip
    # The backup who took it over was told when they must acknowledge.
    backup = next(e for e in await escalations(db) if isinstance(e, OwnerAssigned))
    assert (backup.owner.id, backup.acknowledge_due_at) == (
        "ops-ben", datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
    )  # fmt: skip


async def test_acknowledging_in_time_stops_the_clock(act, db, settings, clock, issue):
    clock.advance(hours=1)
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    clock.advance(hours=10)
    assert await check(db, settings, clock) == 0


async def test_an_overdue_resolution_escalates_too(act, db, settings, clock, issue):
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    clock.advance(days=3, minutes=1)
    assert await check(db, settings, clock) == 1
    [_, escalated] = await escalations(db)
    assert (escalated.reason, escalated.to.id) == ("resolve_overdue", "ops-ben")


async def test_a_late_help_request_escalates_in_the_helping_department_without_moving_the_issue(
    act, db, settings, clock, issue
):
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    await act(
        "ops-ana",
        lifecycle.ask_help,
        issue_id="i-1",
        version=2,
        department="it",
        question="?",
        due_in=timedelta(hours=2),
    )
    clock.advance(hours=2, minutes=1)
    assert await check(db, settings, clock) == 1
    [escalated] = await escalations(db)
    assert (escalated.reason, escalated.to.id, escalated.moved) == (
        "help_overdue",
        "it-kofi",
        False,
    )
    assert (await owner(db)).owner_id == "ops-ana"


async def test_resolving_stops_every_clock(act, db, settings, clock, issue):
    await act("ops-ana", lifecycle.resolve, issue_id="i-1", version=1, resolution="done")
    clock.advance(days=30)
    assert await check(db, settings, clock) == 0


async def test_an_issue_bounced_through_too_many_departments_raises_a_silo_alarm(
    act, db, settings, clock, issue
):
    holder, version = "ops-ana", 1
    for department, receiver in [
        ("finance", "fin-gita"),
        ("it", "it-kofi"),
        ("operations", "ops-ben"),
    ]:
        _, handoff = await act(
            holder,
            lifecycle.request_handoff,
            issue_id="i-1",
            version=version,
            to_department=department,
            to_person_id=None,
            reason="not ours",
        )
        state = await act(
            receiver,
            lifecycle.accept_handoff,
            issue_id="i-1",
            handoff_id=handoff.id,
            version=version + 1,
        )
        holder, version = receiver, state.version
    alarms = [e for e in await escalations(db) if isinstance(e, Escalated)]
    assert [(a.reason, a.to.id, a.moved, a.department) for a in alarms] == [
        ("silo_alarm", "cs-head", False, "operations")
    ]
    assert (await owner(db)).hop == 4


async def test_stalls_and_the_scorecard_show_where_issues_wait(act, db, settings, clock, issue):
    from baton_ownership.insights import service as insights

    clock.advance(minutes=30)
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=2,
        to_department="finance",
        to_person_id=None,
        reason="billing",
    )
    clock.advance(hours=2)
    async with db.session() as session:
        [stall] = await insights.stalls(session=session, now=clock(), department="operations")
    assert (stall.issue_id, stall.owner_id, stall.pending_handoff_to, stall.age_minutes) == (
        "i-1",
        "ops-ana",
        "finance",
        150.0,
    )
    assert (stall.next_deadline, stall.overdue) == ("resolve", False)

    await act(
        "fin-gita", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=3
    )
    clock.advance(hours=1)
    await act("fin-gita", lifecycle.resolve, issue_id="i-1", version=4, resolution="refunded")
    since, until = clock() - timedelta(days=1), clock() + timedelta(minutes=1)
    async with db.session() as session:
        ops = await insights.scorecard(
            session=session, department="operations", since=since, until=until
        )
        fin = await insights.scorecard(
            session=session, department="finance", since=since, until=until
        )
        assert await insights.stalls(session=session, now=clock()) == []
    assert (ops.time_to_acknowledge.count, ops.time_to_acknowledge.median_minutes) == (1, 30.0)
    assert (ops.handoffs_out, ops.handoffs_in, fin.handoffs_in) == (1, 0, 1)
    assert (fin.time_to_resolve.count, fin.time_to_resolve.median_minutes) == (1, 60.0)


async def delivery_failed_to(db, settings, recipient_id: str, *, times: int = 1):
    from datetime import UTC, datetime

    from baton_contracts import DeliveryFailed, Envelope
    from baton_ownership.deadlines.handler import on_delivery_failed
    from baton_runtime.service import Runtime

    runtime = Runtime(name="ownership", settings=settings, migrations_dir=MIGRATIONS)
    runtime.db = db  # the test's migrated database; nothing else of the runtime is used
    event = Envelope.wrap(
        source="/baton/notifications",
        data=DeliveryFailed(
            issue_id="i-1",
            delivery_id=7,
            event_id="e-1",
            event_type="x",
            kind="assigned",
            recipient_id=recipient_id,
            channel="email",
            attempts=5,
            reason="550 no such user",
            failed_at=datetime.now(UTC),
        ),
    )
    for _ in range(times):
        await on_delivery_failed(event, runtime=runtime)


async def test_an_unreachable_owner_escalates_at_once_not_at_the_deadline(db, settings, issue):
    await delivery_failed_to(db, settings, "ops-ana", times=2)  # and once redelivered
    escalated = [e for e in await escalations(db) if isinstance(e, Escalated)]
    assert [(e.reason, e.to.id, e.moved) for e in escalated] == [
        ("owner_unreachable", "ops-ben", True)
    ]
    assert (await owner(db)).owner_id == "ops-ben"


async def test_a_failed_delivery_to_someone_else_or_after_acknowledgement_changes_nothing(
    act, db, settings, issue
):
    await delivery_failed_to(db, settings, "fin-gita")
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    await delivery_failed_to(db, settings, "ops-ana")
    assert [e for e in await escalations(db) if isinstance(e, Escalated)] == []
    assert (await owner(db)).owner_id == "ops-ana"


def test_deadlines_are_per_department_and_priority():
    from baton_ownership.deadlines.clocks import due_in
    from baton_ownership.settings import Settings

    settings = Settings(
        database_url="sqlite+aiosqlite:///unused.db",
        department_deadlines={"it": {"acknowledge_minutes": {"urgent": 5}}},
    )
    assert due_in(settings, "acknowledge", "urgent", "it") == timedelta(minutes=5)
    assert due_in(settings, "acknowledge", "urgent", "finance") == timedelta(minutes=15)
    assert due_in(settings, "acknowledge", "high", "it") == timedelta(minutes=60)  # falls back
    assert due_in(settings, "resolve", "whenever", "it") == timedelta(minutes=4320)


def test_department_deadlines_come_from_the_environment(monkeypatch):
    from baton_ownership.settings import Settings

    monkeypatch.setenv(
        "BATON_DEPARTMENT_DEADLINES", '{"finance": {"resolve_minutes": {"normal": 1440}}}'
    )
    settings = Settings()
    assert settings.department_deadlines["finance"].resolve_minutes == {"normal": 1440}


async def test_the_owner_is_warned_once_when_a_deadline_is_near(db, settings, clock, issue):
    from baton_contracts import DeadlineNear

    async def nears():
        async with db.session() as session:
            rows = (await session.exec(select(OutboxMessage))).all()
        return [
            e.data
            for e in (parse_event(r.payload.encode()) for r in rows)
            if isinstance(e.data, DeadlineNear)
        ]

    clock.advance(hours=3)  # 75 % of the 4-hour acknowledge clock
    await check(db, settings, clock)
    assert await nears() == []
    clock.advance(minutes=15)  # 81 %
    await check(db, settings, clock)
    await check(db, settings, clock)
    [near] = await nears()
    assert (near.deadline, near.owner_id, near.due_at) == (
        "acknowledge",
        "ops-ana",
        issue.assigned_at + timedelta(hours=4),
    )


def test_the_catalogs_time_to_resolve_sits_between_the_env_override_and_the_defaults():
    from baton_ownership.deadlines.clocks import due_in
    from baton_ownership.settings import Settings

    settings = Settings(
        database_url="sqlite+aiosqlite:///unused.db",
        department_deadlines={"it": {"resolve_minutes": {"urgent": 30}}},
    )
    assert due_in(settings, "resolve", "normal", "it", 8) == timedelta(hours=8)  # the catalog
    assert due_in(settings, "resolve", "urgent", "it", 8) == timedelta(minutes=30)  # env wins
    assert due_in(settings, "resolve", "normal", "it", None) == timedelta(minutes=4320)
    assert due_in(settings, "acknowledge", "normal", "it", 8) == timedelta(minutes=240)


async def test_a_department_updated_event_sets_its_time_to_resolve(db, settings, clock):
    from types import SimpleNamespace

    from baton_contracts import DepartmentUpdated, Envelope
    from baton_ownership.directory.handler import on_department_updated

    event = Envelope.wrap(
        source="/baton/routing",
        data=DepartmentUpdated(
            department="finance",
            liaisons=[person("fin-gita"), person("fin-hugo")],
            head=person("fin-head"),
            updated_at=datetime.now(UTC),  # newer than the directory the fixtures seeded
            resolve_hours=6,
        ),
    )
    await on_department_updated(event, runtime=SimpleNamespace(db=db))
    async with db.transaction() as session:
        owner = await assignment.assign(
            session=session, issue_id="i-9", department="finance", now=clock()
        )
        await clocks.start(session, owner, "resolve", settings=settings, now=clock())
    async with db.session() as session:
        deadline = (await session.exec(select(Deadline).where(Deadline.issue_id == "i-9"))).one()
    assert deadline.due_at.replace(tzinfo=None) == (clock() + timedelta(hours=6)).replace(
        tzinfo=None
    )
