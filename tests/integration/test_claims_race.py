"""Two replicas handed the same event at once on PostgreSQL: the second one's
claim waits for the first's transaction, and then finds the event taken (and
takes it after all if the first rolled back), so its effect runs once."""

import asyncio
import uuid
from pathlib import Path

import baton_routing
import pytest
from baton_runtime import idempotency, migrations
from baton_runtime.db import Database

pytestmark = pytest.mark.integration


@pytest.fixture
async def replicas(postgres):
    schema = f"claims_{uuid.uuid4().hex[:8]}"
    path = Path(baton_routing.__file__).parent / "migrations"
    await asyncio.to_thread(migrations.upgrade, path, postgres.database_url, schema)
    dbs = [Database(postgres.database_url, schema=schema) for _ in range(2)]
    yield dbs
    for db in dbs:
        await db.dispose()


async def race(replicas: list[Database], *, first_commits: bool) -> tuple[bool, bool]:
    first, second = replicas
    claimed = asyncio.Event()
    release = asyncio.Event()

    async def one() -> bool:
        try:
            async with first.transaction() as session:
                won = await idempotency.claim(session, "ev-1")
                claimed.set()
                await release.wait()
                if not first_commits:
                    raise RuntimeError("the first replica's handler failed")
                return won
        except RuntimeError:
            return False

    async def two() -> bool:
        await claimed.wait()
        async with second.transaction() as session:
            attempt = asyncio.ensure_future(idempotency.claim(session, "ev-1"))
            await asyncio.sleep(0.3)
            assert not attempt.done()  # waits on the first's uncommitted row
            release.set()
            return await attempt

    return tuple(await asyncio.gather(one(), two()))  # type: ignore[return-value]


async def test_the_second_replica_finds_the_event_taken(replicas):
    assert await race(replicas, first_commits=True) == (True, False)


async def test_the_second_replica_takes_it_when_the_first_rolled_back(replicas):
    assert await race(replicas, first_commits=False) == (False, True)
