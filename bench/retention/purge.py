"""How long retention takes on PostgreSQL, and what a consumer feels meanwhile.

    .venv/bin/python bench/retention/purge.py [--rows 1000000]

Starts the throwaway PostgreSQL of the integration tests (port
BATON_TEST_PG_PORT, or DATABASE_URL), fills ownership's processed_events with
``--rows`` ids 40 days old (and 1% young ones) at the revision before the
retention index, then measures: the migration that builds the index; one
replica purging it all while a "consumer" inserts an id per transaction
(its insert latency is what a long lock would show); and two replicas purging
a second backlog at once. Prints JSON; results.md records a run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import baton_ownership  # noqa: E402
from alembic import command  # noqa: E402
from baton_runtime import migrations, retention  # noqa: E402
from baton_runtime.db import Database  # noqa: E402
from baton_runtime.idempotency import ProcessedEvent  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.integration.stack import Infra  # noqa: E402

MIGRATIONS = Path(baton_ownership.__file__).parent / "migrations"


async def fill(db: Database, rows: int, tag: str) -> None:
    async with db.transaction() as session:
        for age, n in (("40 days", rows), ("1 day", rows // 100)):
            await session.exec(
                text(
                    "INSERT INTO processed_events (event_id, processed_at) "
                    f"SELECT '{tag}-{age[0:2].strip()}-' || g, now() - interval '{age}' "
                    "FROM generate_series(1, :n) g"
                ),
                params={"n": n},
            )
        await session.exec(text("ANALYZE processed_events"))


async def consumer(db: Database, stop: asyncio.Event, latencies: list[float]) -> None:
    """What a handler does: claim an event id in a transaction of its own."""
    while not stop.is_set():
        started = time.perf_counter()
        async with db.transaction() as session:
            session.add(ProcessedEvent(event_id=uuid.uuid4().hex))
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.005)


def summary(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100)
    return {
        "n": len(ms),
        "p50_ms": round(q[49], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(max(ms), 2),
    }


async def main(rows: int, batch: int) -> dict:
    infra = Infra()
    infra.start_postgres()
    try:
        url = infra.database_url
        schema = f"bench_retention_{uuid.uuid4().hex[:6]}"
        config = migrations.alembic_config(MIGRATIONS, url, schema)
        await asyncio.to_thread(command.upgrade, config, "0006")
        db = Database(url, schema=schema)
        await fill(db, rows, "a")
        started = time.perf_counter()
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url, schema)
        index_s = time.perf_counter() - started

        purge = retention.processed_events(35)
        stop, latencies = asyncio.Event(), []
        writer = asyncio.create_task(consumer(Database(url, schema=schema), stop, latencies))
        await asyncio.sleep(0.5)  # the consumer's latency before, too
        started = time.perf_counter()
        one = await retention.purge_all(db, [purge], batch=batch)
        one_s = time.perf_counter() - started
        await asyncio.sleep(0.5)
        stop.set()
        await writer

        await fill(db, rows, "b")
        replicas = [Database(url, schema=schema) for _ in range(2)]
        started = time.perf_counter()
        two = await asyncio.gather(
            *(retention.purge_all(r, [purge], batch=batch) for r in replicas)
        )
        two_s = time.perf_counter() - started
        for d in [db, *replicas]:
            await d.dispose()
        return {
            "rows": rows,
            "batch": batch,
            "index_build_s": round(index_s, 2),
            "one_replica": {
                "deleted": one["processed_events"],
                "seconds": round(one_s, 2),
                "rows_per_s": round(one["processed_events"] / one_s),
                "ms_per_batch": round(one_s * 1000 / (rows / batch), 1),
            },
            "consumer_insert_during_purge": summary(latencies),
            "two_replicas": {
                "deleted": [t["processed_events"] for t in two],
                "seconds": round(two_s, 2),
            },
            "load_average": os.getloadavg(),
        }
    finally:
        infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=retention.BATCH)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.batch)), indent=2))
