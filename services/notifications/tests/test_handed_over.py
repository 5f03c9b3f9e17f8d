"""The dispatcher is handed what a consumer's transaction recorded, once it
committed, and sends it without a claim of its own: the deliveries were recorded
leased. Never twice still holds: no other replica's poll takes a leased delivery,
one whose hand-over was lost (a crash) is sent by a poll once its lease ran out,
and a settlement that comes too late (another replica sent it) changes nothing."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from baton_contracts import DeliveryFailed, DeliverySent, OwnerAssigned, parse_event
from baton_notifications.deliveries import dispatcher
from baton_notifications.deliveries.handler import on_ownership_event
from baton_notifications.deliveries.handover import Dispatcher, Leased
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_notifications.senders.email import Mailer
from sqlalchemy import event

from conftest import counting_statements

from .helpers import (
    GITA,
    ISSUE,
    OMAR,
    T0,
    Clock,
    dispatch,
    finance,
    make_runtime,
    operations,
    rows,
    sealer,
    staged_events,
    wrap,
)

LEASE_S = 120.0


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    # A poll only when a test asks for one (dispatch): the counts below are the hand-over's.
    rt = make_runtime(
        tmp_path, smtp_port=smtp_server.port, webhook_secret="whsec-0123456789",
        delivery_poll_interval_s=3600, delivery_lease_s=LEASE_S,
    )  # fmt: skip
    await on_department_updated(finance(), runtime=rt)
    await on_department_updated(operations(), runtime=rt)
    yield rt
    await rt.db.dispose()


@pytest.fixture
async def sender(runtime):
    mailer = Mailer(runtime.settings)
    clock = Clock()
    made = Dispatcher(db=runtime.db, settings=runtime.settings, mailer=mailer, clock=clock,
                      rand=lambda: 1.0)  # fmt: skip
    made.clock = clock  # type: ignore[attr-defined]
    assert await made.run() is False  # its first pass polls: nothing is due yet
    yield made
    await mailer.close()


def assigned(person=GITA, issue_id=ISSUE):  # type: ignore[no-untyped-def]
    return wrap(OwnerAssigned(issue_id=issue_id, department="finance", owner=person,
                              assigned_at=T0, priority="normal"))  # fmt: skip


@contextmanager
def counting_transactions(db) -> Iterator[list[object]]:  # type: ignore[no-untyped-def]
    begun: list[object] = []
    listener = begun.append
    event.listen(db.engine.sync_engine, "begin", listener)
    try:
        yield begun
    finally:
        event.remove(db.engine.sync_engine, "begin", listener)


async def published(runtime) -> list[object]:  # type: ignore[no-untyped-def]
    return [parse_event(m.payload.encode()).data for m in await staged_events(runtime)]


async def test_the_owners_notice_is_recorded_leased_in_four_statements(runtime, sender):
    with counting_statements(runtime.db) as seen:
        await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    # The claim of the event, the copy's upsert read back, the owner's preferences
    # with their working hours, the delivery (already leased: no claim will look for it).
    assert len(seen) <= 4, str(seen)
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at >= sender.clock.now + timedelta(seconds=LEASE_S - 5)


async def test_a_handed_over_delivery_is_sent_in_one_transaction_of_two_statements(
    runtime, sender, smtp_server
):
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    assert sender.wake.is_set()
    with counting_statements(runtime.db) as seen, counting_transactions(runtime.db) as begun:
        assert await sender.run() is False
    # No claim and no read of the recipient: the row marked sent if still ours
    # (one guarded UPDATE), its DeliverySent staged. It was two transactions, seven.
    assert len(begun) == 1, str(seen)
    assert len(seen) <= 2, str(seen)
    [row] = await rows(runtime)
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 1, None)
    assert len(smtp_server.to(GITA.email)) == 1
    [sent] = await published(runtime)
    assert isinstance(sent, DeliverySent) and (sent.delivery_id, sent.attempts) == (row.id, 1)


async def test_another_replicas_poll_does_not_take_a_leased_delivery(runtime, sender, smtp_server):
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    assert await dispatch(runtime, Clock()) == 0  # the other replica: nothing due
    await sender.run()
    assert await dispatch(runtime, Clock()) == 0
    assert len(smtp_server.messages) == 1
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("sent", 1)]


async def test_a_lost_hand_over_is_sent_once_by_a_poll_after_its_lease(runtime, smtp_server):
    lost: list[list[Leased]] = []
    await on_ownership_event(assigned(), runtime=runtime, hand_over=lost.append)
    assert len(lost) == 1  # handed over, then the replica died before sending it
    clock = Clock()
    assert await dispatch(runtime, clock) == 0
    clock.advance(LEASE_S + 1)
    assert await dispatch(runtime, clock) == 1
    assert await dispatch(runtime, clock) == 0
    assert len(smtp_server.messages) == 1
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("sent", 2)]


async def test_a_hand_over_whose_lease_is_nearly_over_is_left_to_the_poll(
    runtime, sender, smtp_server
):
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    # Less than twice the send timeout left: sending now could outlast the lease.
    sender.clock.advance(LEASE_S - 2 * runtime.settings.delivery_send_timeout_s + 1)
    await sender.run()
    assert smtp_server.messages == []
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("pending", 1)]
    sender.clock.advance(2 * runtime.settings.delivery_send_timeout_s)
    assert await dispatch(runtime, sender.clock) == 1
    assert len(smtp_server.messages) == 1


async def test_a_settlement_after_another_replica_took_the_delivery_changes_nothing(
    runtime, smtp_server
):
    lost: list[list[Leased]] = []
    await on_ownership_event(assigned(), runtime=runtime, hand_over=lost.append)
    [[handed]] = lost
    clock = Clock()
    clock.advance(LEASE_S + 1)
    assert await dispatch(runtime, clock) == 1  # another replica, the lease over: sent
    known = {GITA.id: (handed.prefs, handed.hours)}
    # This replica's outcome of its own (late) attempt: the row moved on without it.
    settled = await dispatcher._settle(
        runtime.db, [(handed.row, None)], known, settings=runtime.settings, clock=clock,
        rand=lambda: 1.0, alone={handed.row.id},
    )  # fmt: skip
    assert settled == ["superseded"]
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("sent", 2)]
    assert len([e for e in await published(runtime) if isinstance(e, DeliverySent)]) == 1


async def test_what_was_handed_over_and_not_sent_is_due_at_once_after_a_shutdown(
    runtime, sender, smtp_server
):
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    await sender.release()
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("pending", 0)]
    assert await dispatch(runtime, Clock()) == 1  # the next start, not the lease's end
    assert len(smtp_server.messages) == 1
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("sent", 1)]


async def test_a_notice_of_two_channels_and_one_of_one_settle_together(
    runtime, sender, smtp_server, http_receiver
):
    """Gita's notice (webhook, refused for good, and email) is settled on its rows
    as locked: her email reached her, so no DeliveryFailed. Omar's (email only) is
    marked without that read. One pass, one settlement."""
    http_receiver.fail_next(410)
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session, sealer=sealer(runtime), person_id=GITA.id,
            update=PreferencesUpdate(channels={"assigned": ["webhook", "email"]},
                                     webhook_url=http_receiver.url),
        )  # fmt: skip
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    await on_ownership_event(
        assigned(OMAR, "5f7c3c1e-0000-4000-8000-000000000002"),
        runtime=runtime, hand_over=sender.hand_over,
    )  # fmt: skip
    await sender.run()
    assert [(r.recipient_id, r.channel, r.status) for r in await rows(runtime)] == [
        (GITA.id, "webhook", "failed"), (GITA.id, "email", "sent"), (OMAR.id, "email", "sent"),
    ]  # fmt: skip
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [f"{GITA.name} <{GITA.email}>", f"{OMAR.name} <{OMAR.email}>"]
    )
    said = await published(runtime)
    assert not [e for e in said if isinstance(e, DeliveryFailed)]
    assert sorted(e.recipient_id for e in said if isinstance(e, DeliverySent)) == [
        GITA.id, OMAR.id,
    ]  # fmt: skip


async def test_a_permanent_failure_of_a_one_channel_notice_says_nobody_was_reached(
    runtime, sender, smtp_server
):
    smtp_server.refuse_next("550 5.1.1 no such mailbox")
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    await sender.run()
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    [failed] = await published(runtime)
    assert isinstance(failed, DeliveryFailed) and failed.delivery_id == row.id


async def test_a_transient_failure_of_a_handed_over_delivery_is_retried_by_the_poll(
    runtime, sender, smtp_server
):
    smtp_server.refuse_next("451 4.3.0 mailbox busy")
    await on_ownership_event(assigned(), runtime=runtime, hand_over=sender.hand_over)
    await sender.run()
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in row.last_error
    # rand 1.0: the full backoff of a first attempt (base 10 s in these tests).
    assert row.next_attempt_at == sender.clock.now + timedelta(seconds=10)
    sender.clock.advance(10)
    assert await dispatch(runtime, sender.clock) == 1
    assert [(r.status, r.attempts) for r in await rows(runtime)] == [("sent", 2)]
    assert len(smtp_server.messages) == 1
