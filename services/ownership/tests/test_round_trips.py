"""The SQL statements each hot-path handler sends per issue, bounded: every round
trip costs CPU twice (the ORM and the socket), so a handler must not quietly grow
more. Counted inside a consumer's unit of work, its commit included, on a warm
database (the directory seeded, other issues already assigned)."""

from datetime import UTC, datetime, timedelta

import pytest
from baton_contracts import (
    DeliveryFailed,
    DeliverySent,
    DepartmentUpdated,
    Envelope,
    IssueRouted,
    OwnerAssigned,
    parse_event,
)
from baton_ownership.assignment import service
from baton_ownership.assignment.handler import on_issue_routed
from baton_ownership.core.models import HistoryEntry, IssueOwner
from baton_ownership.deadlines.handler import on_delivery_failed
from baton_ownership.deadlines.models import Deadline
from baton_ownership.directory import service as directory
from baton_ownership.directory.handler import on_department_updated
from baton_ownership.directory.models import DepartmentPolicy
from baton_runtime.idempotency import unit_of_work
from baton_runtime.outbox import OutboxMessage
from baton_runtime.service import Runtime
from sqlmodel import select

from conftest import counting_statements

from .conftest import DEPARTMENTS, MIGRATIONS, person


@pytest.fixture
def runtime(db, settings) -> Runtime:
    rt = Runtime(name="ownership", settings=settings, migrations_dir=MIGRATIONS)
    rt.db = db  # the test's migrated database; nothing else of the runtime is used
    return rt


def routed(issue_id: str, *, attempt: int = 1, department: str = "finance") -> Envelope:
    liaisons, head = DEPARTMENTS[department]
    return Envelope.wrap(
        source="/t",
        data=IssueRouted(
            issue_id=issue_id, department=department, rule_id=None, reason="test",
            priority="normal", liaisons=[person(p) for p in liaisons], head=person(head),
            routed_at=datetime.now(UTC), attempt=attempt,
        ),
    )  # fmt: skip


def delivery(event, **kw) -> Envelope:
    return Envelope.wrap(
        source="/baton/notifications",
        data=event(
            issue_id="i-1", delivery_id=7, event_id="e-1", event_type="x", kind="assigned",
            channel="email", attempts=1, **kw,
        ),
    )  # fmt: skip


async def handled(db, handler, envelope, runtime):
    """Handle ``envelope`` as a consumer does (in a unit of work), counting all it sends."""
    with counting_statements(db) as seen:
        async with unit_of_work(db):
            await handler(envelope, runtime=runtime)
    return seen


async def test_a_first_assignment_sends_at_most_twelve_statements(db, runtime):
    for n in range(3):
        await on_issue_routed(routed(f"w-{n}"), runtime=runtime)
    event = routed("i-1")
    seen = await handled(db, on_issue_routed, event, runtime)
    # The claim, the roster (UPDATE ... RETURNING, members), the turn, the open
    # issue counts, the issue; at commit its history, both clocks (one INSERT), its
    # stay, the received issue, the OwnerAssigned in the outbox. Was 23.
    assert len(seen) <= 11, str(seen)
    async with db.session() as session:
        issue = await session.get(IssueOwner, "i-1")
        clocks = (await session.exec(select(Deadline).where(Deadline.issue_id == "i-1"))).all()
        [history] = (
            await session.exec(select(HistoryEntry).where(HistoryEntry.issue_id == "i-1"))
        ).all()
        staged = [
            parse_event(m.payload.encode()).data
            for m in (await session.exec(select(OutboxMessage))).all()
        ]
    assert issue.owner_id == "fin-hugo"  # w-0 gita, w-1 hugo, w-2 gita: now hugo's turn
    assert sorted(c.kind for c in clocks) == ["acknowledge", "resolve"]
    assert (history.action, history.details["routing_event_id"]) == ("assigned", event.id)
    [assigned] = [e for e in staged if isinstance(e, OwnerAssigned) and e.issue_id == "i-1"]
    assert sorted(c.deadline for c in assigned.clocks) == ["acknowledge", "resolve"]


async def test_twenty_assignments_in_one_unit_of_work_write_each_other_table_once(db, runtime):
    for n in range(3):
        await on_issue_routed(routed(f"w-{n}"), runtime=runtime)
    events = [routed(f"i-{n}", department=("finance", "it")[n % 2]) for n in range(20)]
    with counting_statements(db) as seen:
        async with unit_of_work(db):
            for event in events:
                await on_issue_routed(event, runtime=runtime)
    # Per issue: the claim, the roster (2), the open issue counts, the issue. Per
    # department: its turn taken (and locked) once, and the cursor written once.
    # Per unit of work: the history, the clocks, the stays, the received issues
    # and the outbox, each one INSERT of all its rows. Was 11 per issue.
    assert len(seen) <= 5 * 20 + 2 * 2 + 5, str(seen)
    assert len([s for s in seen.sent if "department_cursors" in s]) == 2 * 2, str(seen)
    async with db.session() as session:
        owners = (await session.exec(select(IssueOwner))).all()
        history = (await session.exec(select(HistoryEntry))).all()
        clocks = (await session.exec(select(Deadline))).all()
        staged = [
            parse_event(m.payload.encode()).data
            for m in (await session.exec(select(OutboxMessage))).all()
        ]
    assert len(owners) == len(history) == 23
    assert sorted(h.issue_id for h in history) == sorted(o.issue_id for o in owners)
    assert len(clocks) == 2 * 23
    assigned = [e.issue_id for e in staged if isinstance(e, OwnerAssigned)]
    assert assigned == [f"w-{n}" for n in range(3)] + [f"i-{n}" for n in range(20)]


@pytest.mark.parametrize("batched", [False, True])
async def test_an_issue_routed_again_keeps_its_owner_and_the_next_one_its_turn(
    db, runtime, batched
):
    """A second IssueRouted for the same issue (another event): the owner stays,
    and the turn the pick took is given back; alone, or in one consumer batch."""
    events = [routed("i-1"), routed("i-1"), routed("i-2")]  # i-1 in gita's turn
    if batched:
        async with unit_of_work(db):
            for event in events:
                await on_issue_routed(event, runtime=runtime)
    else:
        for event in events:
            await on_issue_routed(event, runtime=runtime)
    async with db.session() as session:
        first = await session.get(IssueOwner, "i-1")
        second = await session.get(IssueOwner, "i-2")
        entries = (
            await session.exec(select(HistoryEntry).where(HistoryEntry.issue_id == "i-1"))
        ).all()
    assert (first.owner_id, first.version, len(entries)) == ("fin-gita", 1, 1)
    assert second.owner_id == "fin-hugo"


async def test_a_held_issue_gives_the_turn_back(db):
    async with db.transaction() as session:
        for pid in ("fin-gita", "fin-hugo"):
            member = await directory.member(session=session, department="finance", person_id=pid)
            member.on_duty = False
            session.add(member)
    async with db.transaction() as session:
        held = await service.assign(session=session, issue_id="i-1", department="finance")
    assert (held.owner_id, held.held_by_head) == ("fin-head", True)
    async with db.transaction() as session:
        for pid in ("fin-gita", "fin-hugo"):
            member = await directory.member(session=session, department="finance", person_id=pid)
            member.on_duty = True
            session.add(member)
    async with db.transaction() as session:
        first = await service.assign(session=session, issue_id="i-2", department="finance")
    assert first.owner_id == "fin-gita"  # the turn at the start, as if none was held


async def test_a_successful_delivery_sends_no_statement(db, runtime):
    seen = await handled(
        db, on_delivery_failed, delivery(DeliverySent, recipient_id="fin-gita",
                                         sent_at=datetime.now(UTC)), runtime,
    )  # fmt: skip
    assert len(seen) == 0, str(seen)


async def test_a_failed_delivery_to_someone_not_in_doubt_sends_at_most_three(db, runtime):
    await on_issue_routed(routed("i-1"), runtime=runtime)
    failed = delivery(
        DeliveryFailed, recipient_id="a-reporter", reason="550", failed_at=datetime.now(UTC)
    )
    seen = await handled(db, on_delivery_failed, failed, runtime)
    # The claim (2, the kernel's) and the issue's row. Was 3.
    assert len(seen) <= 3, str(seen)


def department_updated(at: datetime, resolve_hours: float) -> Envelope:
    liaisons, head = DEPARTMENTS["finance"]
    return Envelope.wrap(
        source="/baton/routing",
        data=DepartmentUpdated(
            department="finance", liaisons=[person(p) for p in liaisons], head=person(head),
            updated_at=at, resolve_hours=resolve_hours,
        ),
    )  # fmt: skip


async def test_a_department_update_sends_at_most_four_statements(db, runtime):
    now = datetime.now(UTC) + timedelta(minutes=1)  # newer than the seeded directory
    seen = await handled(db, on_department_updated, department_updated(now, 6), runtime)
    # The claim (2), the policy with the roster's time (one UPDATE), the members. Was 7.
    assert len(seen) <= 4, str(seen)
    # An older catalog version, arriving late, changes neither roster nor policy.
    await on_department_updated(department_updated(now - timedelta(minutes=5), 9), runtime=runtime)
    async with db.session() as session:
        policy = await session.get(DepartmentPolicy, "finance")
    assert (policy.resolve_hours, policy.roster_at.replace(tzinfo=UTC)) == (6, now)
