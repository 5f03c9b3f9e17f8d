"""Retention on PostgreSQL, as every replica runs it: two purges at once on the
same tables neither fail nor wait for each other, and between them delete
exactly what is past retention, in batches."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import baton_intake
import baton_routing
import pytest
from baton_intake.sources.models import IdempotencyRecord
from baton_runtime import migrations, retention
from baton_runtime.db import Database, async_url
from baton_runtime.idempotency import ProcessedEvent
from baton_runtime.outbox import OutboxMessage
from sqlalchemy import func, insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
OLD, YOUNG = NOW - timedelta(days=40), NOW - timedelta(days=1)


async def migrated(package, database_url: str, name: str) -> str:
    schema = f"retention_{name}_{uuid.uuid4().hex[:8]}"
    path = Path(package.__file__).parent / "migrations"
    await asyncio.to_thread(migrations.upgrade, path, database_url, schema)
    return schema


async def count(db: Database, model) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def two_replicas(url: str, schema: str, purges: list[retention.Purge]) -> list[dict]:
    replicas = [Database(url, schema=schema) for _ in range(2)]
    try:
        return await asyncio.gather(
            *(retention.purge_all(db, purges, clock=lambda: NOW, batch=50) for db in replicas)
        )
    finally:
        for db in replicas:
            await db.dispose()


async def test_two_replicas_purge_processed_events_and_outbox_at_once(postgres, caplog):
    schema = await migrated(baton_routing, postgres.database_url, "routing")
    db = Database(postgres.database_url, schema=schema)
    async with db.transaction() as session:
        await session.exec(
            insert(ProcessedEvent),
            params=[{"event_id": f"old-{n}", "processed_at": OLD} for n in range(1500)]
            + [{"event_id": f"young-{n}", "processed_at": YOUNG} for n in range(20)],
        )
        await session.exec(
            insert(OutboxMessage),
            params=[
                {
                    "event_id": f"{state}-{n}",
                    "topic": "t",
                    "key": "k",
                    "event_type": "x",
                    "payload": "{}",
                    "trace_context": {},
                    "created_at": OLD,
                    "published_at": published,
                }
                for state, published in (("published", OLD), ("unpublished", None))
                for n in range(500)
            ],
        )

    done = await two_replicas(
        postgres.database_url,
        schema,
        [retention.outbox(30), retention.processed_events(35)],
    )

    assert "failed" not in caplog.text
    assert [set(d) for d in done] == [{"outbox", "processed_events"}] * 2
    assert sum(d["processed_events"] for d in done) == 1500
    assert sum(d["outbox"] for d in done) == 500
    assert all(d["processed_events"] > 0 for d in done), f"one replica did all: {done}"
    async with db.session() as session:
        left = (await session.exec(select(ProcessedEvent.event_id))).all()
        unpublished = (await session.exec(select(OutboxMessage.event_id))).all()
    await db.dispose()
    assert sorted(left) == sorted(f"young-{n}" for n in range(20))
    assert sorted(unpublished) == sorted(f"unpublished-{n}" for n in range(500))


async def test_two_replicas_purge_idempotency_keys_by_their_two_column_key(postgres, caplog):
    schema = await migrated(baton_intake, postgres.database_url, "intake")
    db = Database(postgres.database_url, schema=schema)
    async with db.transaction() as session:
        await session.exec(
            insert(IdempotencyRecord),
            params=[
                {
                    "principal": f"key-{n % 7}",
                    "key": f"{age}-{n}",
                    "fingerprint": "f",
                    "status_code": 202,
                    "response": "{}",
                    "created_at": at,
                }
                for age, at, many in (("old", OLD, 700), ("young", YOUNG, 30))
                for n in range(many)
            ],
        )
    purge = retention.Purge("idempotency_keys", IdempotencyRecord, IdempotencyRecord.created_at, 7)

    done = await two_replicas(postgres.database_url, schema, [purge])

    assert "failed" not in caplog.text
    assert sum(d["idempotency_keys"] for d in done) == 700
    assert await count(db, IdempotencyRecord) == 30
    await db.dispose()


async def test_an_index_built_beforehand_concurrently_does_not_fail_the_migration(postgres):
    """The runbook's advice for a large processed_events table: a database from
    before the kernel owned its tables has processed_events without the index;
    the operator builds it CONCURRENTLY, then the kernel's migration runs."""
    schema = f"retention_prebuilt_{uuid.uuid4().hex[:8]}"
    path = Path(baton_routing.__file__).parent / "migrations"
    engine = create_async_engine(async_url(postgres.database_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.execute(
            text(
                f"CREATE TABLE {schema}.processed_events (event_id varchar(64) PRIMARY KEY, "
                "processed_at timestamp with time zone NOT NULL)"
            )
        )
        await conn.execute(
            text(
                "CREATE INDEX CONCURRENTLY ix_processed_events_processed_at "
                f"ON {schema}.processed_events (processed_at)"
            )
        )

    await asyncio.to_thread(migrations.upgrade, path, postgres.database_url, schema)

    async with engine.connect() as conn:
        versions = await conn.execute(text(f"SELECT version_num FROM {schema}.alembic_version"))
        indexes = await conn.execute(
            text("SELECT count(*) FROM pg_indexes WHERE schemaname = :s AND indexname = :i"),
            {"s": schema, "i": "ix_processed_events_processed_at"},
        )
        assert "k0001" in set(versions.scalars()) and indexes.scalar_one() == 1
    await engine.dispose()
