"""Clocks on working time, on call at night, and the work landing on people:
low and normal priority wait for the department's working hours, high and
urgent do not; an urgent issue at night goes to the person on call and on to
the next layer; the scorecard counts interrupts and internal requests."""

from datetime import UTC, date, datetime, timedelta

import pytest
from baton_contracts import (
    OWNER_ASSIGNED_V1,
    Calendar,
    Closure,
    DeadlineSet,
    Envelope,
    Escalated,
    InternalTarget,
    IssueRouted,
    OnCall,
    OwnerAssigned,
    PublicHolidays,
    RotationLayer,
    parse_event,
)
from baton_ownership.assignment.handler import on_issue_routed
from baton_ownership.core.models import IssueOwner
from baton_ownership.deadlines import service as deadlines
from baton_ownership.deadlines.models import Deadline
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import DepartmentPolicy
from baton_ownership.insights import service as insights
from baton_ownership.lifecycle import service as lifecycle
from baton_runtime.outbox import OutboxMessage
from baton_runtime.service import Runtime
from sqlmodel import select

from .conftest import DEPARTMENTS, MIGRATIONS, announced, person

BERLIN = Calendar(
    time_zone="Europe/Berlin",
    holidays=PublicHolidays(country="DE", subdivision="BE"),
    closures=[Closure(name="Winter break", start=date(2026, 12, 28), end=date(2026, 12, 31))],
)
NIGHT_DESK = OnCall(
    layers=[
        RotationLayer(name="primary", people=["ops-ana", "ops-ben"],
                      first_handover=datetime(2026, 11, 2, 9, 0)),
        RotationLayer(name="secondary", people=["ops-ben"],
                      first_handover=datetime(2026, 11, 2, 9)),
    ]
)  # fmt: skip
FRIDAY_EVENING = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 17:00 in Berlin
TUESDAY_NIGHT = datetime(2026, 11, 17, 1, 0, tzinfo=UTC)  # 02:00 in Berlin: ana's week


@pytest.fixture
async def runtime(db, settings):
    rt = Runtime(name="ownership", settings=settings, migrations_dir=MIGRATIONS)
    rt.db = db  # the test's migrated database; nothing else of the runtime is used
    async with db.transaction() as session:
        await directory.upsert_department(
            session=session, department="customer_service", liaisons=[person("cs-maya")],
            head=person("cs-head"),
        )  # fmt: skip
        for name in ("operations", "it"):
            policy = directory.policy_values(
                resolve_hours=None, calendar=BERLIN,
                on_call=NIGHT_DESK if name == "operations" else None,
                internal_targets=[InternalTarget(requester="finance", acknowledge_hours=4)]
                if name == "it" else [],
            )  # fmt: skip
            row = await session.get(DepartmentPolicy, name) or DepartmentPolicy(department=name)
            for column, value in policy.items():
                setattr(row, column, value)
            session.add(row)
    return rt


async def route(runtime, clock, issue_id: str, *, department="operations", priority="normal",
                requester_department: str | None = None) -> None:  # fmt: skip
    liaisons, head = DEPARTMENTS[department]
    routed = IssueRouted(
        issue_id=issue_id, department=department, rule_id=None, reason="test", priority=priority,
        liaisons=[person(p) for p in liaisons], head=person(head), routed_at=clock() - timedelta(
            seconds=1),
        internal=requester_department is not None,
        requester_id="fin-emp" if requester_department else None,
        requester_department=requester_department,
    )  # fmt: skip
    await on_issue_routed(Envelope.wrap(source="/t", data=routed), runtime=runtime, clock=clock)


async def clocks_of(db, issue_id: str):
    async with db.session() as session:
        issue = await session.get(IssueOwner, issue_id)
        return await lifecycle.running_clocks(session=session, issue=issue)


async def events(db, kind) -> list:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [
        e.data for e in (parse_event(r.payload.encode()) for r in rows) if isinstance(e.data, kind)
    ]


async def test_the_first_assignment_says_both_clocks_in_its_one_owner_assigned(runtime, db, clock):
    """One event per assignment: the OwnerAssigned carries the acknowledge and the
    resolve clock it started, as a DeadlineSet would have said them, and no
    DeadlineSet is staged besides."""
    clock.now = FRIDAY_EVENING
    await route(runtime, clock, "i-1")
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [parse_event(r.payload.encode()).type for r in rows] == [OWNER_ASSIGNED_V1]
    [assigned] = await events(db, OwnerAssigned)
    acknowledge, resolve = await clocks_of(db, "i-1")
    said = {c.deadline: c for c in assigned.clocks}
    assert sorted(said) == ["acknowledge", "resolve"]
    for clock_set, row in ((said["acknowledge"], acknowledge), (said["resolve"], resolve)):
        assert (clock_set.issue_id, clock_set.department, clock_set.version) == (
            "i-1", "operations", assigned.version,
        )  # fmt: skip
        assert (clock_set.due_at, clock_set.set_at, clock_set.help_id) == (
            row.due_at, FRIDAY_EVENING, None,
        )  # fmt: skip
    assert (assigned.acknowledge_due_at, assigned.resolve_due_at) == (
        acknowledge.due_at, resolve.due_at,
    )  # fmt: skip


async def test_a_normal_issue_on_friday_evening_is_due_in_monday_working_hours(runtime, db, clock):
    clock.now = FRIDAY_EVENING
    await route(runtime, clock, "i-1")
    acknowledge, resolve = await clocks_of(db, "i-1")
    # Four working hours (normal) from Friday 17:00: Monday 09:00-13:00 in Berlin.
    assert acknowledge.due_at == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert acknowledge.counting == "working"
    assert acknowledge.explanation == (
        "due Monday 23 Nov 13:00 Europe/Berlin: 4 working hours from Friday 20 Nov 17:00; "
        "the weekend skipped"
    )
    assert resolve.kind == "resolve" and resolve.length_minutes == 4320
    # Nothing escalates over the weekend; Monday after 13:00 it does.
    clock.now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert await deadlines.check(db=db, settings=runtime.settings, clock=clock) == 0
    clock.now = datetime(2026, 11, 23, 12, 1, tzinfo=UTC)
    assert await deadlines.check(db=db, settings=runtime.settings, clock=clock) == 1


async def test_holidays_and_closures_are_skipped_and_said(runtime, db, clock):
    clock.now = datetime(2026, 12, 24, 14, 0, tzinfo=UTC)  # Thursday 15:00 in Berlin
    await route(runtime, clock, "i-1", priority="low")  # 1440 minutes: 24 working hours
    acknowledge, _ = await clocks_of(db, "i-1")
    # 2 h on Thursday; Christmas, two weekends, the winter break and New Year skipped;
    # Monday and Tuesday 16 h; Wednesday 09:00-15:00.
    assert acknowledge.due_at == datetime(2027, 1, 6, 14, 0, tzinfo=UTC)
    assert acknowledge.explanation == (
        "due Wednesday 06 Jan 15:00 Europe/Berlin: 24 working hours from Thursday 24 Dec 15:00; "
        "2 weekends, holidays (Christmas Day, New Year's Day) and the closure 'Winter break' "
        "skipped"
    )


async def test_high_and_urgent_count_the_clock_and_say_why(runtime, db, clock):
    clock.now = FRIDAY_EVENING
    await route(runtime, clock, "i-1", department="it", priority="high")
    acknowledge, _ = await clocks_of(db, "i-1")
    assert acknowledge.due_at == FRIDAY_EVENING + timedelta(minutes=60)
    assert acknowledge.explanation.endswith("(high priority counts every hour)")


async def test_an_urgent_issue_at_night_goes_to_the_person_on_call_then_the_next_layer(
    runtime, db, clock, act
):
    clock.now = TUESDAY_NIGHT
    await route(runtime, clock, "i-1", priority="urgent")
    [first] = await events(db, OwnerAssigned)
    assert (first.owner.id, first.on_call_layer, first.priority) == ("ops-ana", 1, "urgent")
    acknowledge, _ = await clocks_of(db, "i-1")
    assert (acknowledge.on_call_layer, acknowledge.counting) == (1, "wall")
    assert "for the first on-call layer to acknowledge" in acknowledge.explanation
    # Not acknowledged within BATON_ON_CALL_ESCALATE_MINUTES (15): the second layer.
    clock.advance(minutes=16)
    assert await deadlines.check(db=db, settings=runtime.settings, clock=clock) == 1
    escalated = (await events(db, Escalated))[-1]
    assert (escalated.to.id, escalated.on_call_layer, escalated.moved) == ("ops-ben", 2, True)
    async with db.session() as session:
        assert (await session.get(IssueOwner, "i-1")).owner_id == "ops-ben"
    # ben acknowledges: the clock stops, nobody else is woken.
    await act("ops-ben", lifecycle.acknowledge, issue_id="i-1", version=2)
    clock.advance(minutes=60)
    assert await deadlines.check(db=db, settings=runtime.settings, clock=clock) == 0


async def test_after_the_last_layer_the_head_is_called_not_a_backup_liaison(runtime, db, clock):
    clock.now = TUESDAY_NIGHT
    await route(runtime, clock, "i-1", priority="urgent")
    for _ in range(2):
        clock.advance(minutes=16)
        await deadlines.check(db=db, settings=runtime.settings, clock=clock)
    owners = [e.owner.id for e in await events(db, OwnerAssigned)]
    assert owners == ["ops-ana", "ops-ben", "ops-head"]


async def test_urgent_within_working_hours_and_normal_at_night_are_assigned_as_usual(
    runtime, db, clock
):
    clock.now = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Berlin
    await route(runtime, clock, "i-1", priority="urgent")
    clock.now = TUESDAY_NIGHT
    await route(runtime, clock, "i-2", priority="normal")
    assert [e.on_call_layer for e in await events(db, OwnerAssigned)] == [None, None]
    async with db.session() as session:
        rows = (await session.exec(select(Deadline))).all()
    assert all(row.on_call_layer is None for row in rows)


async def test_the_scorecard_counts_interrupts_per_person_within_and_outside_hours(
    runtime, db, clock
):
    clock.now = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    await route(runtime, clock, "i-1")
    clock.now = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)  # Wednesday 02:00: ben's week
    await route(runtime, clock, "i-2", priority="urgent")
    async with db.session() as session:
        card = await insights.scorecard(
            session=session, department="operations",
            since=datetime(2026, 11, 9, tzinfo=UTC), until=datetime(2026, 11, 16, tzinfo=UTC),
        )  # fmt: skip
    load = card.interrupts
    assert (load.working_hours, load.hours_outside_working_hours) == (40.0, 128.0)
    assert (load.issues_within_working_hours, load.issues_outside_working_hours) == (1, 1)
    assert load.issues_per_working_hour == 0.025
    by_person = {p.person_id: p for p in load.people}
    assert by_person["ops-ana"].issues_within_working_hours == 1
    assert by_person["ops-ben"].issues_outside_working_hours == 1  # ben's week on call


async def test_internal_requests_meet_the_target_and_show_on_both_scorecards(
    runtime, db, clock, act
):
    clock.now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday 15:00 in Berlin
    await route(runtime, clock, "i-1", department="it", requester_department="finance")
    acknowledge, _ = await clocks_of(db, "i-1")
    # IT acknowledges finance within 4 working hours: 2 on Friday, 2 on Monday.
    assert acknowledge.due_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    clock.now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # Monday 09:30
    owner = (await events(db, OwnerAssigned))[0].owner.id
    await act(owner, lifecycle.acknowledge, issue_id="i-1", version=1)
    await act(owner, lifecycle.resolve, issue_id="i-1", version=2, resolution="done")
    period = {
        "since": datetime(2026, 11, 16, tzinfo=UTC),
        "until": datetime(2026, 11, 30, tzinfo=UTC),
    }
    async with db.session() as session:
        it = await insights.scorecard(session=session, department="it", **period)
        finance = await insights.scorecard(session=session, department="finance", **period)
        state = await lifecycle.requester(session=session, issue_id="i-1")
    assert (state.person_id, state.department) == ("fin-emp", "finance")
    served, made = it.internal_requests_served, finance.internal_requests_made
    assert (served.count, served.resolved, served.targets_met, served.targets_missed) == (
        1,
        1,
        1,
        0,
    )
    assert served.working_time_to_resolve.median_minutes == 150.0  # 2 h Friday, 30 min Monday
    assert served.time_to_resolve.median_minutes == 2 * 24 * 60 + 18 * 60 + 30
    assert [(p.department, p.count) for p in served.by_department] == [("finance", 1)]
    assert [(p.department, p.resolved) for p in made.by_department] == [("it", 1)]
    assert it.internal_requests_made.count == 0


async def stored(db, issue_id: str) -> dict[str, datetime]:
    """The running clocks as ownership holds them."""
    shown = await clocks_of(db, issue_id)
    return {d.kind if d.help_id is None else f"help:{d.help_id}": d.due_at for d in shown}


async def test_the_on_call_deadline_announced_is_the_one_that_runs(runtime, db, clock):
    # Ten minutes on call, fifteen for an urgent acknowledgement otherwise: the two differ.
    runtime.settings.on_call_escalate_minutes = 10
    clock.now = TUESDAY_NIGHT
    await route(runtime, clock, "i-1", priority="urgent")
    on_call_due = TUESDAY_NIGHT + timedelta(minutes=10)
    assert await stored(db, "i-1") == {
        "acknowledge": on_call_due, "resolve": TUESDAY_NIGHT + timedelta(hours=4),
    }  # fmt: skip
    assert await announced(db, "i-1") == {
        "acknowledge": (1, on_call_due), "resolve": (1, TUESDAY_NIGHT + timedelta(hours=4)),
    }  # fmt: skip
    # One clock, one announcement (in the OwnerAssigned): no stale acknowledge
    # deadline was said first, and no DeadlineSet besides.
    assert await events(db, DeadlineSet) == []
    [assigned] = await events(db, OwnerAssigned)
    said = [c for c in assigned.clocks if c.deadline == "acknowledge"]
    assert [c.due_at for c in said] == [on_call_due]
    assert assigned.acknowledge_due_at == on_call_due
    acknowledge, _ = await clocks_of(db, "i-1")
    assert acknowledge.explanation == (
        "due Tuesday 17 Nov 02:10 Europe/Berlin: 10 minutes for the first on-call layer to "
        "acknowledge, from Tuesday 17 Nov 02:00 (urgent, outside working hours)"
    )


async def test_each_on_call_layer_and_the_chain_after_it_announce_their_deadline(
    runtime, db, clock
):
    runtime.settings.on_call_escalate_minutes = 10
    clock.now = TUESDAY_NIGHT
    await route(runtime, clock, "i-1", priority="urgent")
    # The first layer does not acknowledge: the second is called, with ten minutes of its own.
    clock.advance(minutes=11)
    assert await deadlines.check(db=db, settings=runtime.settings, clock=clock) == 1
    second_due = clock() + timedelta(minutes=10)
    escalated = (await events(db, Escalated))[-1]
    assert (escalated.on_call_layer, escalated.version) == (2, 2)
    assert (await stored(db, "i-1"))["acknowledge"] == second_due
    assert (await announced(db, "i-1"))["acknowledge"] == (escalated.version, second_due)
    handed = (await events(db, OwnerAssigned))[-1]
    assert (handed.owner.id, handed.acknowledge_due_at) == ("ops-ben", second_due)
    acknowledge, _ = await clocks_of(db, "i-1")
    assert acknowledge.explanation.startswith(
        "due Tuesday 17 Nov 02:21 Europe/Berlin: 10 minutes for on-call layer 2 to acknowledge"
    )
    # No layer is left: the department's head takes it, with the chain's next step.
    clock.advance(minutes=11)
    assert await deadlines.check(db=db, settings=runtime.settings, clock=clock) == 1
    head_due = clock() + timedelta(minutes=runtime.settings.escalation_step_minutes)
    escalated = (await events(db, Escalated))[-1]
    assert (escalated.to.id, escalated.version) == ("ops-head", 3)
    assert (await stored(db, "i-1"))["acknowledge"] == head_due
    assert (await announced(db, "i-1"))["acknowledge"] == (3, head_due)
    acknowledge, _ = await clocks_of(db, "i-1")
    assert acknowledge.explanation.endswith(
        "passed and escalated, the next step due Tuesday 17 Nov 03:22"
    )
