"""The outbox relay on PostgreSQL: one replica's pass at a time (an advisory
lock, taken in the statement that reads the pending rows), every event published
as it was stored, in order, and marked once the broker has it."""

import asyncio
import uuid
from pathlib import Path

import baton_routing
import pytest
from baton_contracts import Envelope
from baton_runtime import migrations
from baton_runtime.db import Database
from baton_runtime.kafka import EventProducer, ensure_topics
from baton_runtime.outbox import _RELAY_LOCK_CLASS, OutboxMessage, OutboxRelay, add_event
from sqlalchemy import text
from sqlmodel import select

from conftest import counting_statements, reopened
from tests.integration.conftest import read_topic

pytestmark = pytest.mark.integration


def event(n: int) -> Envelope:
    return reopened(n, issue_id="i-1")  # one issue: its events' order counts


async def migrated(url: str) -> Database:
    """A database whose outbox is in a schema of its own (as each service's is)."""
    schema = f"relay_{uuid.uuid4().hex[:8]}"
    path = Path(baton_routing.__file__).parent / "migrations"
    await asyncio.to_thread(migrations.upgrade, path, url, schema)
    return Database(url, schema=schema)


@pytest.fixture
async def db(postgres):
    database = await migrated(postgres.database_url)
    yield database
    await database.dispose()


HOLD_THE_RELAY_LOCK = text(
    f"SELECT pg_advisory_xact_lock({_RELAY_LOCK_CLASS}, hashtext(current_schema()))"
)


async def unpublished(db: Database) -> int:
    async with db.session() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.published_at.is_(None))  # type: ignore[union-attr]
        return len((await session.exec(query)).all())


async def test_a_pass_waits_while_another_replica_relays_then_publishes_in_order(
    infra, db, producer: EventProducer
):
    topic = f"relay-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka, [topic], partitions=1)
    staged = [event(n) for n in range(1, 4)]
    async with db.transaction() as session:
        for envelope in staged:
            add_event(session, topic=topic, envelope=envelope)
    relay = OutboxRelay(db, producer)

    elsewhere = None
    try:
        # Another replica of the service (its schema) is in a pass: it holds the lock.
        async with db.transaction() as holder:
            await holder.exec(HOLD_THE_RELAY_LOCK)  # type: ignore[call-overload]
            assert await relay.publish_pending() == 0
            assert await unpublished(db) == 3
        # Another service's pass (another schema of the same database) holds up nobody.
        elsewhere = await migrated(infra.database_url)
        async with elsewhere.transaction() as holder:
            await holder.exec(HOLD_THE_RELAY_LOCK)  # type: ignore[call-overload]
            assert await relay.publish_pending() == 3
    finally:
        if elsewhere is not None:
            await elsewhere.dispose()

    assert await unpublished(db) == 0
    records = await read_topic(infra.kafka, topic)
    assert [r.value for r in records] == [e.to_json() for e in staged]
    assert all(r.key == b"i-1" for r in records)
    assert await relay.publish_pending() == 0  # nothing twice


class Recorder:
    """A producer that keeps what it was given, or fails."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.published: list[str] = []

    async def publish_many(self, items) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            raise RuntimeError("broker away")
        self.published.extend(item.event_id for item in items)


async def test_a_pass_takes_marks_and_reads_its_rows_in_one_statement(db):
    """The pending rows are marked and returned by one UPDATE (it was a SELECT, and
    an UPDATE after publishing); a failed publish rolls the mark back."""
    staged = [event(n) for n in range(1, 6)]
    async with db.transaction() as session:
        for envelope in staged:
            add_event(session, topic="t", envelope=envelope)

    with pytest.raises(RuntimeError):
        await OutboxRelay(db, Recorder(fail=True)).publish_pending()  # type: ignore[arg-type]
    assert await unpublished(db) == 5

    recorder = Recorder()
    relay = OutboxRelay(db, recorder)  # type: ignore[arg-type]
    with counting_statements(db) as seen:
        assert await relay.publish_pending(batch=3) == 3
    assert len(seen) == 1 and seen.sent[0].startswith("UPDATE outbox"), str(seen)
    assert await relay.publish_pending(batch=3) == 2
    assert recorder.published == [e.id for e in staged]  # in the order staged
    assert await unpublished(db) == 0
