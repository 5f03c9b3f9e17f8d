"""Pooled PostgreSQL connections are pinged only after sitting idle: a dead one
is then replaced before anyone uses it, and a busy service does not pay three
round trips per transaction for a ping. The connection returned last is used
next, so a quiet service keeps one warm."""

import asyncio

import pytest
from baton_runtime.db import Database
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.integration


async def backend_pid(db: Database) -> int:
    async with db.transaction() as session:
        query = text("SELECT pg_backend_pid()")
        return (await session.exec(query)).scalar_one()  # type: ignore[call-overload]


async def terminate(url: str, pid: int) -> None:
    admin = Database(url)
    try:
        async with admin.transaction() as session:
            query = text("SELECT pg_terminate_backend(:pid)")
            await session.exec(query, params={"pid": pid})  # type: ignore[call-overload]
    finally:
        await admin.dispose()


@pytest.fixture
async def databases(postgres):
    made: list[Database] = []

    def make(idle_s: float) -> Database:
        db = Database(postgres.database_url, pool_size=1, max_overflow=0, ping_after_idle_s=idle_s)
        made.append(db)
        return db

    yield make
    for db in made:
        await db.dispose()


async def test_an_idle_connection_that_died_is_replaced_before_use(postgres, databases):
    db = databases(0.2)
    first = await backend_pid(db)
    await terminate(postgres.database_url, first)
    await asyncio.sleep(0.5)  # longer than the idle bound: pinged at checkout
    assert await backend_pid(db) != first  # no error: a new connection served it


async def test_a_connection_used_moments_ago_is_not_pinged(postgres, databases):
    db = databases(3600)
    first = await backend_pid(db)
    await terminate(postgres.database_url, first)
    # Not pinged, so the dead connection is used and fails, as a ping would have
    # been spared; the pool then drops it and the next use gets a new one.
    with pytest.raises(DBAPIError):
        await backend_pid(db)
    assert await backend_pid(db) != first


async def test_the_connection_returned_last_is_used_next(postgres):
    db = Database(postgres.database_url, pool_size=2, max_overflow=0, ping_after_idle_s=3600)
    try:
        async with db.transaction() as outer:
            query = text("SELECT pg_backend_pid()")
            first = (await outer.exec(query)).scalar_one()  # type: ignore[call-overload]
            assert await backend_pid(db) != first  # a second connection, returned first
        # The first one went back last: it serves next, and again.
        assert [await backend_pid(db), await backend_pid(db)] == [first, first]
    finally:
        await db.dispose()
