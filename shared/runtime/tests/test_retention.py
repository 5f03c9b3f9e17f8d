"""Retention over a real (SQLite) database: what is past its days goes, in
batches; what is younger, unpublished or kept forever stays."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from baton_runtime import retention
from baton_runtime.idempotency import ProcessedEvent
from baton_runtime.outbox import OutboxMessage
from baton_runtime.settings import ServiceSettings
from pydantic import ValidationError
from sqlalchemy import text
from sqlmodel import select

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


async def add_outbox(db, n: int, *, created: datetime, published: datetime | None) -> None:
    async with db.transaction() as session:
        for _ in range(n):
            session.add(
                OutboxMessage(
                    event_id=uuid.uuid4().hex,
                    topic="t",
                    key="k",
                    event_type="x",
                    payload="{}",
                    created_at=created,
                    published_at=published,
                )
            )


async def outbox_rows(db) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxMessage))).all())


async def processed_ids(db) -> set[str]:
    async with db.session() as session:
        return {r.event_id for r in (await session.exec(select(ProcessedEvent))).all()}


async def test_published_outbox_rows_past_retention_go_and_the_rest_stay(db):
    await add_outbox(db, 2, created=days_ago(40), published=days_ago(31))
    await add_outbox(db, 1, created=days_ago(40), published=days_ago(29))
    # Never published (Kafka was down for months): kept, or the event would be lost.
    await add_outbox(db, 1, created=days_ago(400), published=None)

    counts = await retention.purge_all(db, [retention.outbox(30)], clock=lambda: NOW)

    assert counts == {"outbox": 2}
    kept = await outbox_rows(db)
    assert sorted(r.published_at is None for r in kept) == [False, True]
    assert all(r.published_at is None or r.published_at > days_ago(30) for r in kept)


async def test_processed_event_ids_past_retention_go_and_younger_ones_stay(db):
    async with db.transaction() as session:
        session.add(ProcessedEvent(event_id="old", processed_at=days_ago(36)))
        session.add(ProcessedEvent(event_id="young", processed_at=days_ago(34)))

    deleted = await retention.purge(db, retention.processed_events(35), now=NOW)

    assert deleted == 1
    assert await processed_ids(db) == {"young"}


async def test_zero_days_keeps_everything(db):
    await add_outbox(db, 3, created=days_ago(4000), published=days_ago(3999))
    async with db.transaction() as session:
        session.add(ProcessedEvent(event_id="ancient", processed_at=days_ago(4000)))

    counts = await retention.purge_all(
        db, [retention.outbox(0), retention.processed_events(0)], clock=lambda: NOW
    )

    assert counts == {"outbox": 0, "processed_events": 0}
    assert len(await outbox_rows(db)) == 3
    assert await processed_ids(db) == {"ancient"}


async def test_more_rows_than_one_batch_all_go(db):
    await add_outbox(db, 23, created=days_ago(60), published=days_ago(59))
    await add_outbox(db, 2, created=days_ago(1), published=days_ago(1))

    deleted = await retention.purge(db, retention.outbox(30), now=NOW, batch=5)

    assert deleted == 23
    assert len(await outbox_rows(db)) == 2


async def test_a_failing_purge_is_logged_and_the_others_still_run(db, caplog):
    async with db.transaction() as session:
        session.add(ProcessedEvent(event_id="old", processed_at=days_ago(100)))
    # A column this database does not have: the purge fails.
    broken = retention.Purge(
        "broken", OutboxMessage, OutboxMessage.published_at, 1, (text("no_such_column = 1"),)
    )

    counts = await retention.purge_all(
        db, [broken, retention.processed_events(35)], clock=lambda: NOW
    )

    assert counts == {"processed_events": 1}
    assert "purging broken failed" in caplog.text


def test_negative_retention_is_refused(monkeypatch):
    monkeypatch.setenv("BATON_RETENTION_DAYS", "-1")
    with pytest.raises(ValidationError, match="retention_days"):
        ServiceSettings()
    monkeypatch.delenv("BATON_RETENTION_DAYS")
    monkeypatch.setenv("BATON_PROCESSED_EVENTS_RETENTION_DAYS", "-5")
    with pytest.raises(ValidationError, match="processed_events_retention_days"):
        ServiceSettings()
    with pytest.raises(ValueError, match="0 keeps forever"):
        retention.outbox(-1)
