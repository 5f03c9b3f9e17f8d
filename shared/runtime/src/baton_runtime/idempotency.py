"""Idempotent handling: each consumed event id is recorded in the same transaction
as its effect, so a redelivered event changes nothing and sends nothing twice.

A consumer takes messages in batches, and a batch's effects share one
transaction (``unit_of_work``): handlers call ``handle_once`` as ever, and it
joins the batch's transaction when one is open (and, in a unit with
``staged_claims``, stages the event's id for one INSERT of all the unit's ids at
its commit). What must wait for the commit (waking the outbox relay, recording
a span of work that is now durable) goes through ``after_commit``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_runtime import rows
from baton_runtime.db import Database, upsert_for


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"

    event_id: str = Field(primary_key=True, max_length=64)
    # Indexed for retention (baton_runtime.retention), which deletes old ids.
    processed_at: datetime = Field(default_factory=lambda: datetime.now(UTC), index=True)


@dataclass
class UnitOfWork:
    """A transaction several events' effects share, and what runs once it commits.

    ``staged_claims``: the events' ids are recorded by one INSERT at the commit
    (``rows.stage``) rather than one statement each as they come. An id handled
    before (a redelivery) then fails the commit, and nothing of the unit is
    durable: its caller takes the events again with claims one by one
    (``claim``), which skip it. ``claimed`` holds the ids recorded so far."""

    db: Database
    session: AsyncSession
    committed: list[Callable[[], None]] = field(default_factory=list)
    staged_claims: bool = False
    claimed: set[str] = field(default_factory=set)


_unit: ContextVar[UnitOfWork | None] = ContextVar("baton_unit_of_work", default=None)


def _joined(db: Database) -> UnitOfWork | None:
    unit = _unit.get()
    return unit if unit is not None and unit.db is db else None


@asynccontextmanager
async def unit_of_work(db: Database, *, staged_claims: bool = False) -> AsyncIterator[UnitOfWork]:
    """One transaction for the effects of everything handled inside it.

    An exception rolls all of it back (the caller then takes the events one at a
    time); on commit, the ``after_commit`` actions run in order. With
    ``staged_claims``, a redelivered event's id fails the commit
    (``IntegrityError``; see ``UnitOfWork``).
    """
    async with db.transaction() as session:
        unit = UnitOfWork(db=db, session=session, staged_claims=staged_claims)
        token = _unit.set(unit)
        try:
            yield unit
        finally:
            _unit.reset(token)
    for action in unit.committed:
        action()


@asynccontextmanager
async def transaction(db: Database) -> AsyncIterator[AsyncSession]:
    """The open unit of work's session, or a unit of work of its own."""
    unit = _joined(db)
    if unit is not None:
        yield unit.session
        return
    async with unit_of_work(db) as unit:
        yield unit.session


def in_unit_of_work() -> bool:
    return _unit.get() is not None


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once the open unit of work commits, or now when none is open
    (the caller's own transaction has committed by the time it calls this)."""
    unit = _unit.get()
    if unit is None:
        action()
    else:
        unit.committed.append(action)


async def claim(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id`` in this transaction; False when it was already handled.

    One statement, whichever the database: the insert does nothing when the id is
    there, and says whether it inserted. Two replicas racing on the same event:
    the second one's insert waits for the first's commit and then does nothing.
    """
    row = {"event_id": event_id, "processed_at": datetime.now(UTC)}
    return await session.run_sync(_claim, row)


def _claim(session: Session, row: dict[str, object]) -> bool:
    # Core on the session's connection, in one switch into SQLAlchemy's greenlet:
    # the ORM's execute path (autoflush, ORM events, result wrapping) adds nothing
    # to an insert of a plain row. The statement is built once per database.
    connection = session.connection()
    statement = _claim_statement(connection.dialect.name)
    return connection.execute(statement, row).first() is not None


_TABLE = ProcessedEvent.__table__


@cache
def _claim_statement(dialect: str) -> Executable:
    table = _TABLE
    return (
        upsert_for(dialect, table)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )


async def handle_once(
    db: Database, event_id: str, effect: Callable[[AsyncSession], Awaitable[None]]
) -> bool:
    """Run ``effect`` and record the event in one transaction (the open unit of
    work's, if any); skip a repeat. Returns whether the effect ran."""
    unit = _joined(db)
    if unit is not None and unit.staged_claims:
        if event_id in unit.claimed:
            return False  # the same event twice in one unit (published twice)
        unit.claimed.add(event_id)
        row = {"event_id": event_id, "processed_at": datetime.now(UTC)}
        rows.stage(unit.session, _TABLE, row)
        await effect(unit.session)
        return True
    async with transaction(db) as session:
        if not await claim(session, event_id):
            return False
        await effect(session)
    return True
