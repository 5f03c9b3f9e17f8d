"""Transactional outbox: an event is written in the same transaction as the state
change that caused it, and a relay publishes it afterwards. No dual writes.

The relay keeps per-issue order: rows are published in insertion order, and on
PostgreSQL only one replica's relay runs a pass at a time (an advisory lock, one
per schema: per service).
A crash between publishing and marking re-publishes; consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

from baton_contracts import Envelope
from sqlalchemy import JSON, Column, Integer, Text, bindparam, func
from sqlalchemy.sql import Executable
from sqlmodel import Field, SQLModel, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_runtime import metrics, rows
from baton_runtime.db import OUTBOX_STAGED, Database, is_postgres
from baton_runtime.kafka.producer import EventProducer, Outgoing
from baton_runtime.kafka.tracing import carrier_from_current, context_from_carrier

log = logging.getLogger(__name__)

# One pass at a time per outbox: the advisory lock's key is this constant and a hash
# of the outbox's schema, so a service's replicas (one schema) take turns, while
# services sharing one database, each in its own schema, never wait for each other.
_RELAY_LOCK_CLASS = 0x0BA7_0001


# The outbox's columns a relay pass reads (the row, not an ORM object).
_RELAYED = ("id", "topic", "key", "event_id", "event_type", "payload", "trace_context")
# Events a relay pass publishes at most; a full pass is followed by another at once.
RELAY_BATCH = 500


def _department(value: bytes) -> str | None:
    """The department an event is about, for the published-events metric's label
    (a plain JSON read: the payload was validated when it was staged)."""
    data = json.loads(value).get("data")
    department = data.get("department") if isinstance(data, dict) else None
    return department if isinstance(department, str) else None


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    topic: str = Field(max_length=255)
    key: str = Field(max_length=255)
    event_type: str = Field(max_length=255)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    trace_context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    published_at: datetime | None = Field(default=None, index=True)


def add_event(
    session: AsyncSession,
    *,
    topic: str,
    envelope: Envelope,
    trace_context: dict[str, str] | None = None,
) -> None:
    """Stage an event in the caller's transaction, with the current trace context
    (or ``trace_context``: say, the issue's own trace, kept since it arrived).
    The transaction's commit wakes the relay (``Database.on_outbox_commit``).

    The row is written with a Core INSERT (no ORM object, no flush bookkeeping)
    before the transaction commits, or before the session's next query, whichever
    comes first; a rolled-back transaction or savepoint drops what it staged."""
    session.sync_session.info[OUTBOX_STAGED] = True
    rows.stage(
        session,
        _TABLE,
        {
            "event_id": envelope.id,
            "topic": topic,
            "key": envelope.subject,
            "event_type": envelope.type,
            "payload": envelope.model_dump_json(),
            "trace_context": trace_context or carrier_from_current(),
            "created_at": datetime.now(UTC),
        },
    )


_TABLE = OutboxMessage.__table__


def _by_id(row: Any) -> int:
    return int(row.id)


@cache
def _relay_statements(postgres: bool) -> tuple[Executable, Executable | None]:
    """A relay pass's statements, built once (parameters: ``now``, ``batch``, and
    the marked rows' ``ids``): on PostgreSQL one UPDATE that takes the pending
    rows, marks them and returns them; on SQLite a read, and the mark after."""
    table = OutboxMessage.__table__
    relayed = [table.c[name] for name in _RELAYED]
    pending = (
        select(table.c.id)
        .where(table.c.published_at.is_(None))
        .order_by(table.c.id)
        .limit(bindparam("batch", type_=Integer))
    )
    if not postgres:
        read = pending.with_only_columns(*relayed)
        mark = (
            update(table)
            .where(table.c.id.in_(bindparam("ids", expanding=True)))
            .values(published_at=bindparam("now"))
        )
        return read, mark
    # In the same statement: PostgreSQL tries the lock once (an InitPlan); without
    # it, no rows, as when nothing waits.
    key = (_RELAY_LOCK_CLASS, func.hashtext(func.current_schema()))
    locked_here = select(func.pg_try_advisory_xact_lock(*key)).scalar_subquery()
    take = (
        update(table)
        .where(table.c.id.in_(pending.where(locked_here).scalar_subquery()))
        .values(published_at=bindparam("now"))
        .returning(*relayed)
    )
    return take, None


class OutboxRelay:
    def __init__(
        self, db: Database, producer: EventProducer, *, poll_interval_s: float = 1.0
    ) -> None:
        self._db = db
        self._producer = producer
        database = self._db.engine.url.database
        self._lock_path = (
            f"{database}.relay.lock"
            if self._db.engine.dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )
        self._poll = poll_interval_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """Something was committed: publish now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await self.publish_pending()  # a last pass so nothing committed waits for a restart

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the pass: a commit announced during it wakes the next one.
            self._wake.clear()
            try:
                while await self.publish_pending() == RELAY_BATCH:
                    pass  # a full batch may have more behind it
            except Exception:
                log.exception("outbox relay pass failed; retrying")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            except TimeoutError:
                pass

    async def publish_pending(self, batch: int = RELAY_BATCH) -> int:
        """Publish up to ``batch`` committed events in order, all in flight at once,
        and mark them published. Says how many it published.

        Each event goes out as the outbox stored it: already serialized, so the
        relay neither parses nor validates it again. A pass is Core statements on
        a connection of its own (no ORM session), built once per database."""
        with self._file_lock() as locked:
            if not locked:
                return 0
            postgres = is_postgres(self._db.engine)
            take, mark = _relay_statements(postgres)
            async with self._db.engine.begin() as conn:
                params = {"now": datetime.now(UTC), "batch": batch}
                if postgres:
                    # Marked and read in one statement, before publishing: a failed
                    # publish rolls the mark back with the rest of the transaction.
                    # RETURNING gives no order: sorted by id, the outbox's order.
                    rows = sorted((await conn.execute(take, params)).all(), key=_by_id)
                else:
                    # SQLite: the write lock is the whole database's, so it is not
                    # held while Kafka acknowledges; the read takes none.
                    rows = (await conn.execute(take, params)).all()
                if not rows:
                    return 0
                items = [
                    Outgoing(
                        topic=row.topic,
                        key=row.key,
                        value=row.payload.encode(),
                        event_id=row.event_id,
                        event_type=row.event_type,
                        parent=context_from_carrier(row.trace_context),
                    )
                    for row in rows
                ]
                await self._producer.publish_many(items)
                if mark is not None:
                    params["ids"] = [row.id for row in rows]
                    await conn.execute(mark, params)
        # Counted once the rows are marked published, so a failed pass counts nothing.
        for item in items:
            labels = {metrics.TOPIC: item.topic, metrics.EVENT_TYPE: item.event_type}
            department = _department(item.value)
            if department is not None:
                labels[metrics.DEPARTMENT] = department
            metrics.events_published.add(1, labels)
        return len(items)

    @contextmanager
    def _file_lock(self) -> Iterator[bool]:
        """On SQLite, one relay at a time across processes (several workers of one
        service share its file): a lock file beside the database. PostgreSQL's
        advisory lock does this there; elsewhere, always True."""
        path = self._lock_path
        if path is None:
            yield True
            return
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    async def measure_pending(self, service: str) -> None:
        """Refresh the outbox gauges: how many events wait, and for how long."""
        async with self._db.session() as session:
            pending, oldest = (
                await session.exec(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.published_at.is_(None)  # type: ignore[union-attr]
                    )
                )
            ).one()
        age = 0.0
        if oldest is not None:
            # SQLite gives naive datetimes back: they were written in UTC.
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max((datetime.now(UTC) - oldest).total_seconds(), 0.0)
        metrics.gauges.outbox_pending[(service,)] = int(pending)
        metrics.gauges.outbox_age_s[(service,)] = age
