"""Quiet hours and digests, on a clock the tests move: outside a person's working
hours, notices that can wait are held and go out together when work begins;
urgent ones go at once. The internal requester hears when their request changes
hands, and the notice load is counted within and outside working hours."""

from datetime import UTC, datetime, timedelta

import pytest
from baton_contracts import (
    Calendar,
    DepartmentUpdated,
    Escalated,
    IssueReported,
    OwnerAssigned,
    Reporter,
)
from baton_notifications.deliveries.handler import on_issue_reported, on_ownership_event
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.interrupts import service as interrupts
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.schemas import PreferencesUpdate

from conftest import text_of

from .helpers import (
    GITA,
    HEAD,
    ISSUE,
    OLGA,
    OMAR,
    Clock,
    dispatch,
    make_runtime,
    rows,
    sealer,
    wrap,
)

BERLIN = Calendar(time_zone="Europe/Berlin")  # Monday to Friday, 09:00-17:00
TUESDAY_NIGHT = datetime(2026, 11, 10, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
WEDNESDAY_NINE = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port)
    await on_department_updated(
        wrap(DepartmentUpdated(department="operations", liaisons=[OMAR, OLGA], head=HEAD,
                               updated_at=TUESDAY_NIGHT, calendar=BERLIN)),
        runtime=rt,
    )  # fmt: skip
    yield rt
    await rt.db.dispose()


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = TUESDAY_NIGHT
    return clock


def assigned(issue_id: str, priority: str | None, to=OMAR, via="routing") -> object:
    return wrap(
        OwnerAssigned(issue_id=issue_id, department="operations", owner=to, via=via,
                      assigned_at=TUESDAY_NIGHT, priority=priority)
    )  # fmt: skip


async def test_notices_that_can_wait_wait_for_the_morning_and_go_out_in_one_digest(
    runtime, clock, smtp_server
):
    await on_ownership_event(assigned("i-1", "normal"), runtime=runtime, clock=clock)
    await on_ownership_event(assigned("i-2", "low"), runtime=runtime, clock=clock)
    held = await rows(runtime)
    assert [(r.held, r.next_attempt_at) for r in held] == [(True, WEDNESDAY_NINE)] * 2
    assert await dispatch(runtime, clock) == 0 and smtp_server.messages == []
    clock.now = WEDNESDAY_NINE
    assert await dispatch(runtime, clock) == 2
    [digest] = smtp_server.messages
    assert digest["Subject"] == "[Baton] 2 notices from outside your working hours"
    text = text_of(digest)
    assert text.count("accountable owner of BTN-") == 2
    assert [r.status for r in await rows(runtime)] == ["sent", "sent"]


async def test_urgent_issues_and_escalations_go_out_at_once(runtime, clock, smtp_server):
    await on_ownership_event(assigned("i-1", "urgent"), runtime=runtime, clock=clock)
    escalated = Escalated(
        issue_id="i-2", department="operations", owner_id=OLGA.id, actor_id="baton-deadlines",
        version=2, at=TUESDAY_NIGHT, priority="normal", reason="acknowledge_overdue", level=1,
        to=OMAR, moved=False,
    )  # fmt: skip
    await on_ownership_event(wrap(escalated), runtime=runtime, clock=clock)
    assert not any(r.held for r in await rows(runtime))
    assert await dispatch(runtime, clock) == 2
    assert len(smtp_server.messages) == 2


async def test_own_working_hours_or_no_quiet_hours_are_each_persons_choice(runtime, clock):
    async with runtime.db.transaction() as session:
        night_shift = Calendar(time_zone="Europe/Berlin", hours={"tuesday": ["20:00-24:00"]})
        await recipients.set_preferences(
            session=session, sealer=sealer(runtime), person_id=OMAR.id,
            update=PreferencesUpdate(working_hours=night_shift),
        )  # fmt: skip
        await recipients.set_preferences(
            session=session, sealer=sealer(runtime), person_id=OLGA.id,
            update=PreferencesUpdate(quiet_hours=False),
        )  # fmt: skip
    await on_ownership_event(assigned("i-1", "normal", to=OMAR), runtime=runtime, clock=clock)
    await on_ownership_event(assigned("i-2", "normal", to=OLGA), runtime=runtime, clock=clock)
    assert [(r.recipient_id, r.held) for r in await rows(runtime)] == [
        (OMAR.id, False),  # his own hours: Tuesday night is working time
        (OLGA.id, False),  # no quiet hours: everything at once
    ]


async def test_the_internal_requester_hears_when_their_request_changes_hands(runtime, clock):
    reported = IssueReported(
        issue_id=ISSUE, channel="agent", reporter=Reporter(kind="employee", id=GITA.id,
        department="finance"), subject="s", description="d", internal=True,
        reported_at=TUESDAY_NIGHT,
    )  # fmt: skip
    await on_department_updated(
        wrap(DepartmentUpdated(department="finance", liaisons=[GITA], head=HEAD,
                               updated_at=TUESDAY_NIGHT)),
        runtime=runtime,
    )  # fmt: skip
    await on_issue_reported(wrap(reported), runtime=runtime)
    await on_ownership_event(assigned(ISSUE, "urgent", to=OLGA, via="handoff"),
                             runtime=runtime, clock=clock)  # fmt: skip
    told = {(r.kind, r.recipient_id) for r in await rows(runtime)}
    assert ("reassigned", GITA.id) in told and ("assigned", OLGA.id) in told


async def test_notices_are_counted_within_and_outside_working_hours(runtime, clock):
    await on_ownership_event(assigned("i-1", "urgent"), runtime=runtime, clock=clock)
    await on_ownership_event(assigned("i-2", "normal"), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)  # the urgent one, at night
    clock.now = WEDNESDAY_NINE
    await dispatch(runtime, clock)  # the held one, in the morning
    async with runtime.db.session() as session:
        load = await interrupts.load(
            session=session, department="operations", since=TUESDAY_NIGHT - timedelta(days=1),
            until=TUESDAY_NIGHT + timedelta(days=1),
        )  # fmt: skip
    assert (load.within_working_hours, load.outside_working_hours) == (1, 1)
    assert (load.held_for_quiet_hours, load.working_hours) == (1, 16.0)
    assert [
        (p.person_id, p.within_working_hours, p.outside_working_hours) for p in load.people
    ] == [(OMAR.id, 1, 1)]


async def test_whose_hours_a_notice_waits_for_read_in_one_query(runtime):
    """``preferences_and_hours`` (the owner's notice reads both at once) says what
    the preferences and the department calendars say, for whoever knows of them."""
    from baton_notifications.recipients.hours import hours_of, preferences_and_hours

    night_shift = Calendar(time_zone="Europe/Berlin", hours={"monday": ["22:00-24:00"]})
    await on_department_updated(
        wrap(DepartmentUpdated(department="accounts", liaisons=[OMAR], head=HEAD,
                               updated_at=TUESDAY_NIGHT)),
        runtime=runtime,
    )  # fmt: skip
    async with runtime.db.transaction() as session:
        for person_id, update in (
            ("self-registered", PreferencesUpdate(email="sam@example.com", quiet_hours=False)),
            (OLGA.id, PreferencesUpdate(working_hours=night_shift)),
        ):
            await recipients.set_preferences(
                session=session, sealer=sealer(runtime), person_id=person_id, update=update
            )
    async with runtime.db.session() as session:
        people = [OMAR.id, OLGA.id, HEAD.id, "self-registered", "nobody"]
        together = await preferences_and_hours(session, people)
        found = {}
        for person_id in people:
            [(prefs, hours)] = (await preferences_and_hours(session, [person_id])).values()
            assert (prefs, hours) == together[person_id]  # alone or with others, the same
            found[person_id] = (prefs is not None, hours.source, hours.department, hours.quiet)
            # The same as reading the preferences and the hours one after the other.
            apart = await hours_of(session, person_id, prefs)
            assert (apart.source, apart.department, apart.quiet) == found[person_id][1:]
    assert found == {
        # In accounts (no calendar) and operations: the first with a calendar counts,
        # the first by name is where they are counted.
        OMAR.id: (False, "department:operations", "accounts", True),
        OLGA.id: (True, "own", "operations", True),
        HEAD.id: (False, "department:operations", "accounts", True),
        "self-registered": (True, None, None, False),
        "nobody": (False, None, None, True),
    }
