"""Ownership over a real (SQLite) database, migrated by its own Alembic scripts,
with a directory of three departments and a clock the tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from baton_contracts import DeadlineSet, OwnerAssigned, Person, parse_event
from baton_ownership.core.store import Ctx
from baton_ownership.directory import service as directory
from baton_ownership.settings import Settings
from baton_runtime.outbox import OutboxMessage
from baton_runtime.settings import ServiceSettings
from sqlmodel import select

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_ownership" / "migrations"
DEPARTMENTS = {
    "operations": (["ops-ana", "ops-ben"], "ops-head"),
    "finance": (["fin-gita", "fin-hugo"], "fin-head"),
    "it": (["it-kofi", "it-lena"], "it-head"),
}


def person(pid: str) -> Person:
    return Person(id=pid, name=pid.title(), email=f"{pid}@example.com")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


async def seed(db) -> None:
    async with db.transaction() as session:
        for name, (liaisons, head) in DEPARTMENTS.items():
            await directory.upsert_department(
                session=session,
                department=name,
                liaisons=[person(p) for p in liaisons],
                head=person(head),
            )


async def announced(db, issue_id: str) -> dict[str, tuple[int, datetime]]:
    """The clocks a reader of the topic keeps from the events staged so far (the
    DeadlineSet events and the clocks an OwnerAssigned carries): per clock, the
    newest version (the later one among equals), as the workspace folds them."""
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    newest: dict[str, tuple[int, datetime]] = {}
    for row in rows:
        event = parse_event(row.payload.encode()).data
        said = event.clocks if isinstance(event, OwnerAssigned) else [event]
        for clock in said:
            if not isinstance(clock, DeadlineSet) or clock.issue_id != issue_id:
                continue
            key = clock.deadline if clock.help_id is None else f"help:{clock.help_id}"
            if key not in newest or newest[key][0] <= clock.version:
                newest[key] = (clock.version, clock.due_at)
    return newest


@pytest.fixture
def settings() -> ServiceSettings:
    return Settings(database_url="sqlite+aiosqlite:///unused.db")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def db(migrated_db):
    database = migrated_db(MIGRATIONS)
    await seed(database)
    return database


@pytest.fixture
def act(db, settings, clock):
    """``await act(actor, fn, **kw)``: run one lifecycle step in its own transaction."""

    async def run(actor: str, step, **kw):
        async with db.transaction() as session:
            return await step(
                Ctx(session=session, settings=settings, actor_id=actor, clock=clock), **kw
            )

    return run
