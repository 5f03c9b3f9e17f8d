"""Two deadline checkers, as in two replicas, against one PostgreSQL: every
passed deadline is escalated exactly once."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import baton_ownership
import pytest
from baton_contracts import Escalated, Person, parse_event
from baton_ownership.assignment import service as assignment
from baton_ownership.deadlines import clocks
from baton_ownership.deadlines import service as deadlines
from baton_ownership.directory import service as directory
from baton_ownership.settings import Settings
from baton_runtime import migrations
from baton_runtime.db import Database
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

pytestmark = pytest.mark.integration
MIGRATIONS = Path(baton_ownership.__file__).parent / "migrations"


def person(pid: str) -> Person:
    return Person(id=pid, name=pid, email=f"{pid}@example.com")


async def test_two_checkers_never_escalate_the_same_deadline_twice(infra):
    schema = f"checkers_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, infra.database_url, schema)
    settings = Settings(database_url=infra.database_url, database_schema=schema)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    setup = Database(infra.database_url, schema=schema)
    async with setup.transaction() as session:
        await directory.upsert_department(
            session=session,
            department="operations",
            liaisons=[person("ana"), person("ben")],
            head=person("ops-head"),
        )
        for n in range(40):
            owner = await assignment.assign(
                session=session, issue_id=f"i-{n}", department="operations"
            )
            await clocks.start(session, owner, "acknowledge", settings=settings, now=start)
    await setup.dispose()

    later = start + timedelta(hours=5)
    replicas = [Database(infra.database_url, schema=schema) for _ in range(2)]

    async def replica(db: Database) -> int:
        total = 0
        while n := await deadlines.check(db=db, settings=settings, clock=lambda: later, limit=3):
            total += n
        return total

    done = await asyncio.gather(*(replica(db) for db in replicas))
    async with replicas[0].session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    for db in replicas:
        await db.dispose()

    escalated = [
        e.data
        for e in (parse_event(r.payload.encode()) for r in rows)
        if isinstance(e.data, Escalated)
    ]
    assert sum(done) == 40
    assert all(n > 0 for n in done), f"one checker did all the work: {done}"
    assert Counter(e.issue_id for e in escalated) == {f"i-{n}": 1 for n in range(40)}


async def test_two_replicas_assigning_at_once_never_fill_a_liaison_past_capacity(postgres):
    """The last free place goes once: the second assignment counts open issues only
    after the first has committed (the department's cursor lock), so it falls to
    the head instead of overfilling the liaison."""
    schema = f"capacity_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, postgres.database_url, schema)
    db = Database(postgres.database_url, schema=schema)
    async with db.transaction() as session:
        await directory.upsert_department(
            session=session, department="it", liaisons=[person("kofi")], head=person("it-head")
        )
        kofi = await directory.member(session=session, department="it", person_id="kofi")
        kofi.capacity = 1
        session.add(kofi)
    first_picked = asyncio.Event()

    async def first() -> str:
        async with db.transaction() as session:
            issue = await assignment.assign(session=session, issue_id="a", department="it")
            first_picked.set()
            await asyncio.sleep(0.5)  # still uncommitted while the second one starts
            return issue.owner_id

    async def second() -> str:
        await first_picked.wait()
        async with db.transaction() as session:
            issue = await assignment.assign(session=session, issue_id="b", department="it")
            return issue.owner_id

    owners = await asyncio.gather(first(), second())
    await db.dispose()
    assert owners == ["kofi", "it-head"]


async def test_a_seat_checked_for_a_change_cannot_be_taken_away_before_it_commits(postgres):
    """The head's right to act is read under a share lock: a directory update
    demoting them waits until the change made in that right has committed."""
    schema = f"seats_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, postgres.database_url, schema)
    db = Database(postgres.database_url, schema=schema)
    async with db.transaction() as session:
        await directory.upsert_department(
            session=session, department="it", liaisons=[person("kofi")], head=person("it-head")
        )
    order: list[str] = []
    checked = asyncio.Event()

    async def head_acts() -> None:
        async with db.transaction() as session:
            actor = await directory.actor(session=session, person_id="it-head")
            assert actor.heads("it")
            checked.set()
            await asyncio.sleep(0.5)  # the change is written in this transaction
            order.append("head acted")

    async def catalog_demotes() -> None:
        await checked.wait()
        async with db.transaction() as session:
            await directory.upsert_department(
                session=session, department="it", liaisons=[person("kofi")],
                head=person("new-head"),
            )  # fmt: skip
        order.append("head demoted")

    await asyncio.gather(head_acts(), catalog_demotes())
    await db.dispose()
    assert order == ["head acted", "head demoted"]
