"""The outbox stages its rows in the session and writes them with one Core INSERT
before the transaction (or a savepoint) commits, or before the session's next
query; a rollback drops what it staged. A consumer's batch of events costs one
INSERT into the outbox, not one per event."""

from __future__ import annotations

import pytest
from baton_contracts import Envelope
from baton_runtime import idempotency
from baton_runtime.db import Database
from baton_runtime.outbox import OutboxMessage, OutboxRelay, add_event
from sqlmodel import select

from conftest import counting_statements, reopened


def event(n: int) -> Envelope:
    return reopened(n, issue_id="i-1")  # one issue: its events' order counts


async def stored(db: Database) -> list[str]:
    async with db.session() as session:
        query = select(OutboxMessage.event_id).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return list((await session.exec(query)).all())


def inserts_into_outbox(sent: list[str]) -> list[str]:
    return [s for s in sent if s.startswith("INSERT INTO outbox")]


async def test_a_staged_event_is_stored_as_it_was_given_once_committed(db):
    envelope = event(1)
    async with db.transaction() as session:
        add_event(session, topic="t", envelope=envelope, trace_context={"traceparent": "x"})
    async with db.session() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert (row.event_id, row.topic, row.key, row.event_type) == (
        envelope.id, "t", "i-1", envelope.type
    )  # fmt: skip
    assert row.payload == envelope.model_dump_json()
    assert row.trace_context == {"traceparent": "x"}
    assert row.created_at is not None and row.published_at is None


async def test_a_query_in_the_same_transaction_sees_what_was_staged(db):
    envelope = event(1)
    async with db.transaction() as session:
        add_event(session, topic="t", envelope=envelope)
        seen = (await session.exec(select(OutboxMessage.event_id))).all()
        assert seen == [envelope.id]
    assert await stored(db) == [envelope.id]  # and written once


async def test_a_rolled_back_savepoint_keeps_what_was_staged_before_it(db):
    # A query inside the savepoint must not write the outer transaction's staged
    # row where the savepoint's rollback takes it back.
    before, inside = event(1), event(2)
    async with db.transaction() as session:
        add_event(session, topic="t", envelope=before)
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                add_event(session, topic="t", envelope=inside)
                await session.exec(select(OutboxMessage.event_id))
                raise RuntimeError("this step failed")
    assert await stored(db) == [before.id]


async def test_a_rolled_back_savepoint_drops_only_what_it_staged(db):
    kept, dropped, committed = event(1), event(2), event(3)
    async with db.transaction() as session:
        add_event(session, topic="t", envelope=kept)
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                add_event(session, topic="t", envelope=dropped)
                raise RuntimeError("this step failed")
        async with session.begin_nested():
            add_event(session, topic="t", envelope=committed)
    assert await stored(db) == [kept.id, committed.id]


async def test_a_rolled_back_transaction_leaves_nothing_for_the_next_one(db):
    lost, later = event(1), event(2)
    async with db.session() as session:
        add_event(session, topic="t", envelope=lost)
        await session.rollback()
        add_event(session, topic="t", envelope=later)
        await session.commit()
    assert await stored(db) == [later.id]


async def test_a_batch_of_events_writes_the_outbox_in_one_statement_in_order(db):
    """Each event's claim used to flush the previous event's outbox row (one INSERT
    each); the claim is a Core statement now, and the staged rows go together."""
    staged = [event(n) for n in range(1, 6)]

    def effect(envelope: Envelope):  # type: ignore[no-untyped-def]
        async def stage(session) -> None:  # type: ignore[no-untyped-def]
            add_event(session, topic="t", envelope=envelope)

        return stage

    with counting_statements(db) as seen:
        async with idempotency.unit_of_work(db):
            for n, envelope in enumerate(staged):
                assert await idempotency.handle_once(db, f"e{n}", effect(envelope))
    assert len(inserts_into_outbox(seen.sent)) == 1, str(seen)
    assert await stored(db) == [e.id for e in staged]


async def test_one_event_costs_its_claim_and_its_outbox_row(db):
    async def stage(session) -> None:  # type: ignore[no-untyped-def]
        add_event(session, topic="t", envelope=event(1))

    await idempotency.handle_once(db, "warm", stage)
    with counting_statements(db) as seen:
        assert await idempotency.handle_once(db, "e1", stage)
        assert not await idempotency.handle_once(db, "e1", stage)  # a repeat: its claim only
    kinds = [s.split(" (")[0] for s in seen.sent]
    assert kinds == [
        "INSERT INTO processed_events", "INSERT INTO outbox", "INSERT INTO processed_events"
    ], str(seen)  # fmt: skip


class Producer:
    def __init__(self) -> None:
        self.published: list[str] = []

    async def publish_many(self, items) -> None:  # type: ignore[no-untyped-def]
        self.published.extend(item.event_id for item in items)


async def test_the_relay_publishes_in_order_marks_and_publishes_nothing_twice(db):
    staged = [event(n) for n in range(1, 8)]
    async with db.transaction() as session:
        for envelope in staged:
            add_event(session, topic="t", envelope=envelope)
    producer = Producer()
    relay = OutboxRelay(db, producer)  # type: ignore[arg-type]
    assert await relay.publish_pending(batch=4) == 4
    assert await relay.publish_pending(batch=4) == 3
    assert await relay.publish_pending(batch=4) == 0
    assert producer.published == [e.id for e in staged]
    async with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.published_at.is_(None))  # type: ignore[union-attr]
        assert (await session.exec(query)).all() == []


async def test_a_failed_publish_leaves_the_events_pending(db):
    class Failing(Producer):
        async def publish_many(self, items) -> None:  # type: ignore[no-untyped-def]
            raise RuntimeError("broker away")

    envelope = event(1)
    async with db.transaction() as session:
        add_event(session, topic="t", envelope=envelope)
    with pytest.raises(RuntimeError):
        await OutboxRelay(db, Failing()).publish_pending()  # type: ignore[arg-type]
    producer = Producer()
    assert await OutboxRelay(db, producer).publish_pending() == 1  # type: ignore[arg-type]
    assert producer.published == [envelope.id]
