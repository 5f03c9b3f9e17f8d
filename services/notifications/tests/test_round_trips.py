"""The SQL statements notifications' hot path sends, bounded: the handling of a
report, of an assignment (the owner's notice, with their quiet hours), and the
dispatcher's work per delivery. Each statement is a round trip that costs CPU twice
(the ORM and the socket), so a handler must not quietly grow more. On a warm
database: departments and their calendars known, other issues already handled."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import pytest
from baton_contracts import (
    Calendar,
    DeadlineSet,
    DeliveryFailed,
    DeliverySent,
    DepartmentUpdated,
    HandoffDeclined,
    IssueAcknowledged,
    IssueReopened,
    IssueReported,
    OwnerAssigned,
    ReplyPosted,
    Reporter,
    parse_event,
)
from baton_notifications.deliveries.dispatcher import dispatch_due
from baton_notifications.deliveries.handler import on_issue_reported, on_ownership_event
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.issues.models import IssueCopy
from baton_notifications.recipients.models import RecipientPreferences
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_notifications.recipients.service import set_preferences
from baton_notifications.reporters.models import InternalReporter
from baton_notifications.senders.errors import DeliveryError
from baton_runtime.idempotency import unit_of_work
from sqlalchemy import event
from sqlmodel import col, update

from conftest import counting_statements

from .helpers import (
    GITA,
    HEAD,
    T0,
    Clock,
    dispatch,
    make_runtime,
    rows,
    sealer,
    staged_events,
    wrap,
)

# Around the clock: nothing is held, so the dispatcher sends what it is given.
ALWAYS = Calendar(
    time_zone="Europe/Berlin",
    hours={day: ["00:00-24:00"] for day in ("monday", "tuesday", "wednesday", "thursday",
                                            "friday", "saturday", "sunday")},
)  # fmt: skip


def reported(issue_id: str, *, employee: bool = False):  # type: ignore[no-untyped-def]
    reporter = (
        Reporter(kind="employee", id="emp-7", department="sales")
        if employee
        else Reporter(kind="customer", id="cust-7", reachable=True)
    )
    return wrap(
        IssueReported(issue_id=issue_id, channel="email", reporter=reporter, priority="normal",
                      subject="Invoice twice", description="Charged twice.", reported_at=T0)
    )  # fmt: skip


def assigned(issue_id: str, priority: str = "normal"):  # type: ignore[no-untyped-def]
    return wrap(
        OwnerAssigned(issue_id=issue_id, department="finance", owner=GITA, assigned_at=T0,
                      priority=priority, routing_reason="rule: invoice", acknowledge_due_at=T0,
                      resolve_due_at=T0)
    )  # fmt: skip


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port)
    await on_department_updated(
        wrap(DepartmentUpdated(department="finance", liaisons=[GITA], head=HEAD, updated_at=T0,
                               calendar=ALWAYS)),
        runtime=rt,
    )  # fmt: skip
    clock = Clock()
    for _ in range(3):  # other issues, reported, assigned and told
        other = str(uuid4())
        await on_issue_reported(reported(other), runtime=rt, clock=clock)
        await on_ownership_event(assigned(other), runtime=rt, clock=clock)
    assert await dispatch(rt, clock) == 3
    yield rt
    await rt.db.dispose()


async def copy_of(runtime, issue_id: str) -> IssueCopy | None:  # type: ignore[no-untyped-def]
    async with runtime.db.session() as session:
        return await session.get(IssueCopy, issue_id)


async def test_a_report_is_kept_in_three_statements(runtime):
    issue_id = str(uuid4())
    with counting_statements(runtime.db) as seen:
        await on_issue_reported(reported(issue_id), runtime=runtime)
    # The claim of the event (read, insert: the kernel's), the copy's upsert.
    assert len(seen) <= 3, str(seen)
    copy = await copy_of(runtime, issue_id)
    assert (copy.subject, copy.priority, copy.reference) == (
        "Invoice twice", "normal", "BTN-" + issue_id.replace("-", "")[:8].upper()
    )  # fmt: skip


async def test_an_employees_report_remembers_them_in_one_statement_more(runtime):
    issue_id = str(uuid4())
    with counting_statements(runtime.db) as seen:
        await on_issue_reported(reported(issue_id, employee=True), runtime=runtime)
    assert len(seen) <= 4, str(seen)
    async with runtime.db.session() as session:
        reporter = await session.get(InternalReporter, issue_id)
    assert (reporter.reporter_id, reporter.department) == ("emp-7", "sales")


async def test_the_owners_notice_with_their_working_hours_takes_five_statements(runtime):
    issue_id = str(uuid4())
    await on_issue_reported(reported(issue_id), runtime=runtime)
    with counting_statements(runtime.db) as seen:
        await on_ownership_event(assigned(issue_id), runtime=runtime)
    # The claim (2), the copy's upsert read back, the owner's preferences with
    # their departments' calendars (one query), the delivery.
    assert len(seen) <= 5, str(seen)
    row = (await rows(runtime))[-1]
    assert (row.issue_id, row.recipient_id, row.status, row.held) == (
        issue_id, GITA.id, "pending", False
    )  # fmt: skip
    assert "Invoice twice" in row.content  # the notice says what the issue is
    copy = await copy_of(runtime, issue_id)
    assert (copy.owner_id, copy.routing_reason, copy.subject) == (
        GITA.id, "rule: invoice", "Invoice twice"
    )  # fmt: skip


async def test_an_urgent_notice_does_not_read_working_hours(runtime):
    issue_id = str(uuid4())
    await on_issue_reported(reported(issue_id), runtime=runtime)
    with counting_statements(runtime.db) as seen:
        await on_ownership_event(assigned(issue_id, "urgent"), runtime=runtime)
    assert len(seen) <= 5, str(seen)
    assert (await copy_of(runtime, issue_id)).priority == "urgent"


async def test_an_assignment_before_its_report_keeps_both(runtime):
    """Either topic may come first: the upserts fill in only their own columns."""
    issue_id = str(uuid4())
    async with unit_of_work(runtime.db):
        await on_ownership_event(assigned(issue_id, "high"), runtime=runtime)
        await on_issue_reported(reported(issue_id), runtime=runtime)
    copy = await copy_of(runtime, issue_id)
    assert (copy.owner_id, copy.priority, copy.subject) == (GITA.id, "high", "Invoice twice")


@pytest.mark.parametrize(
    "event",
    [
        DeadlineSet(issue_id="i-1", department="finance", deadline="resolve", due_at=T0,
                    version=2, set_at=T0),
        IssueAcknowledged(issue_id="i-1", department="finance", owner_id=GITA.id,
                          actor_id=GITA.id, version=2, at=T0),
        IssueReopened(issue_id="i-1", department="finance", owner_id=GITA.id,
                      actor_id=GITA.id, version=3, at=T0),
        ReplyPosted(issue_id="i-1", department="finance", owner_id=GITA.id, actor_id=GITA.id,
                    author_name="Gita", text="Refunded.", at=T0),
    ],
    ids=lambda e: type(e).__name__,
)  # fmt: skip
async def test_ownership_events_nobody_is_told_of_send_no_sql(runtime, event):
    with counting_statements(runtime.db) as seen:
        await on_ownership_event(wrap(event), runtime=runtime)
    assert len(seen) == 0, str(seen)


async def test_an_event_told_of_is_not_passed_over(runtime):
    """The other side of the test above: a hand-off declined is handled (and claimed)."""
    declined = HandoffDeclined(issue_id=str(uuid4()), department="finance", owner_id=GITA.id,
                               actor_id="ops-omar", version=2, at=T0, handoff_id=1,
                               to_department="operations", reason="not ours")  # fmt: skip
    with counting_statements(runtime.db) as seen:
        await on_ownership_event(wrap(declined), runtime=runtime)
    assert len(seen) > 0
    assert (await rows(runtime))[-1].kind == "handoff_declined"


async def test_sending_a_delivery_costs_three_statements_and_two_a_batch(runtime):
    clock = Clock()
    issues = [str(uuid4()), str(uuid4())]
    for issue_id in issues:
        await on_ownership_event(assigned(issue_id), runtime=runtime, clock=clock)
    staged_before = len(await staged_events(runtime))
    with counting_statements(runtime.db) as seen:
        assert await dispatch(runtime, clock) == 2
    # The batch: its claim and lease (one statement), the recipients' preferences
    # with their working hours (one). Then the outcomes finished by then, settled
    # together: their notices locked and read, their updates, their DeliverySent
    # staged (at worst each send finished alone, three statements each).
    assert len(seen) <= 2 + 3 * 2, str(seen)
    sent = [r for r in await rows(runtime) if r.issue_id in issues]
    assert [(r.status, r.attempts) for r in sent] == [("sent", 1)] * 2
    staged = (await staged_events(runtime))[staged_before:]
    said = [parse_event(m.payload.encode()).data for m in staged]
    assert sorted((e.issue_id, e.delivery_id) for e in said if isinstance(e, DeliverySent)) == (
        sorted((r.issue_id, r.id) for r in sent)
    )


class GatedMailer:
    """Holds every send until the batch's last one has started, then lets them all
    finish at once (as a fast mail server does), failing the subjects it is told to."""

    def __init__(self, expected: int, failing: dict[str, DeliveryError]) -> None:
        self.expected, self.failing, self.subjects = expected, failing, []
        self.all_started = asyncio.Event()

    async def send(self, content: dict[str, str]) -> None:
        self.subjects.append(content["subject"])
        if len(self.subjects) == self.expected:
            self.all_started.set()
        await self.all_started.wait()
        for words, error in self.failing.items():
            if words in content["subject"]:
                raise error

    async def close(self) -> None:
        pass


@contextmanager
def counting_transactions(db) -> Iterator[list[object]]:  # type: ignore[no-untyped-def]
    begun: list[object] = []

    def record(conn) -> None:  # type: ignore[no-untyped-def]
        begun.append(conn)

    event.listen(db.engine.sync_engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(db.engine.sync_engine, "begin", record)


async def test_the_outcomes_of_a_batch_finished_together_are_settled_in_one_transaction(
    runtime,
):
    """Five deliveries sent at once: three sent, one refused for good (its notice,
    email only, reached nobody: a DeliveryFailed), one to try again later."""
    clock = Clock()
    subjects = ["Paid", "Refund", "Login", "Bounce", "Later"]
    issues = {}
    for subject in subjects:
        issue_id = issues[subject] = str(uuid4())
        await on_issue_reported(
            wrap(IssueReported(issue_id=issue_id, channel="email", priority="normal",
                               reporter=Reporter(kind="customer", id="cust-7", reachable=False),
                               subject=subject, description="-", reported_at=T0)),
            runtime=runtime,
        )  # fmt: skip
        await on_ownership_event(assigned(issue_id), runtime=runtime, clock=clock)
    mailer = GatedMailer(
        len(subjects),
        {"Bounce": DeliveryError("refused", permanent=True), "Later": DeliveryError("busy")},
    )
    staged_before = len(await staged_events(runtime))
    with counting_statements(runtime.db) as seen, counting_transactions(runtime.db) as begun:
        attempted = await dispatch_due(
            db=runtime.db, settings=runtime.settings, clock=clock, rand=lambda: 1.0,
            mailer=mailer,  # type: ignore[arg-type]
        )  # fmt: skip
    assert attempted == len(subjects) == len(mailer.subjects)
    # The claim's transaction, and one for all five outcomes (it was one each):
    # their notices locked and read (one statement), the rows' updates (one per
    # kind of change: sent, failed, retrying), the four events staged (one insert
    # on PostgreSQL; SQLite, which cannot return a batch's ids in order, one each).
    assert len(begun) == 2, str(seen)
    assert len(seen) <= 2 + 1 + 3 + 4, str(seen)
    by_issue = {r.issue_id: r for r in await rows(runtime) if r.issue_id in issues.values()}
    assert {s: (by_issue[i].status, by_issue[i].attempts) for s, i in issues.items()} == {
        "Paid": ("sent", 1), "Refund": ("sent", 1), "Login": ("sent", 1),
        "Bounce": ("failed", 1), "Later": ("pending", 1),
    }  # fmt: skip
    assert by_issue[issues["Later"]].last_error == "busy"
    staged = (await staged_events(runtime))[staged_before:]
    said = [parse_event(m.payload.encode()).data for m in staged]
    assert sorted((type(e).__name__, e.issue_id) for e in said) == sorted(
        [("DeliverySent", issues[s]) for s in ("Paid", "Refund", "Login")]
        + [("DeliveryFailed", issues["Bounce"])]
    )
    assert all(isinstance(e, DeliverySent | DeliveryFailed) for e in said)


async def naming_in_one_unit(runtime, table: str, handled: list) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements naming ``table`` sent while the ``handled`` coroutines (a
    handler each, one event each) ran in order, in one consumer's unit of work."""
    with counting_statements(runtime.db) as seen:
        async with unit_of_work(runtime.db, staged_claims=True):
            for handling in handled:
                await handling
    return [s for s in seen.sent if table in s]


async def test_a_unit_of_work_of_reports_writes_their_copies_in_one_statement(runtime):
    """A consumer's batch of reports: each copy's upsert is staged, and all of them
    go in one execution at the commit."""
    issues = [str(uuid4()) for _ in range(3)]
    copies = await naming_in_one_unit(
        runtime, "issue_copies", [on_issue_reported(reported(i), runtime=runtime) for i in issues]
    )
    assert len(copies) == 1, str(copies)
    for issue_id in issues:
        assert (await copy_of(runtime, issue_id)).subject == "Invoice twice"


async def test_a_staged_report_is_written_before_its_copy_is_read(runtime):
    """A report and the assignment after it in one unit of work: the assignment's
    upsert finds the reported copy (its notice says what the issue is)."""
    issue_id = str(uuid4())
    async with unit_of_work(runtime.db, staged_claims=True):
        await on_issue_reported(reported(issue_id), runtime=runtime)
        await on_ownership_event(assigned(issue_id), runtime=runtime)
    copy = await copy_of(runtime, issue_id)
    assert (copy.subject, copy.owner_id) == ("Invoice twice", GITA.id)
    assert "Invoice twice" in (await rows(runtime))[-1].content


async def test_a_unit_of_work_reads_each_recipients_preferences_once(runtime):
    """Three issues assigned to the same liaison in one batch: her preferences and
    working hours are read for the first notice, and known for the others."""
    issues = [str(uuid4()) for _ in range(3)]
    events = [on_ownership_event(assigned(i), runtime=runtime) for i in issues]
    read = await naming_in_one_unit(runtime, "recipient_preferences", events)
    assert len(read) == 1, str(read)
    assert [r.recipient_id for r in await rows(runtime) if r.issue_id in issues] == [GITA.id] * 3


async def channels_of(runtime, *issue_ids: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Each issue's deliveries' channels."""
    recorded = await rows(runtime)
    return [sorted(r.channel for r in recorded if r.issue_id == i) for i in issue_ids]


async def test_preferences_changed_in_the_unit_of_work_are_read_again(runtime):
    """What was read is not trusted once the session writes preferences: the next
    notice goes to the channels she has just chosen."""
    first, second = str(uuid4()), str(uuid4())
    async with unit_of_work(runtime.db, staged_claims=True) as unit:
        await on_ownership_event(assigned(first), runtime=runtime)
        await set_preferences(
            session=unit.session, person_id=GITA.id, sealer=sealer(runtime),
            update=PreferencesUpdate(channels={"assigned": ["email", "webhook"]},
                                     webhook_url="https://hooks.example.com/gita"),
        )  # fmt: skip
        await on_ownership_event(assigned(second), runtime=runtime)
    assert await channels_of(runtime, first, second) == [["email"], ["email", "webhook"]]


async def test_preferences_updated_by_a_statement_in_the_unit_of_work_are_read_again(runtime):
    """The same for an ORM statement that writes them (no flush involved)."""
    async with runtime.db.transaction() as session:
        await set_preferences(
            session=session, person_id=GITA.id, sealer=sealer(runtime),
            update=PreferencesUpdate(webhook_url="https://hooks.example.com/gita"),
        )  # fmt: skip
    first, second = str(uuid4()), str(uuid4())
    async with unit_of_work(runtime.db, staged_claims=True) as unit:
        await on_ownership_event(assigned(first), runtime=runtime)
        await unit.session.exec(
            update(RecipientPreferences)
            .where(col(RecipientPreferences.person_id) == GITA.id)
            .values(channels={"assigned": ["email", "webhook"]})
        )
        await on_ownership_event(assigned(second), runtime=runtime)
    assert await channels_of(runtime, first, second) == [["email"], ["email", "webhook"]]
