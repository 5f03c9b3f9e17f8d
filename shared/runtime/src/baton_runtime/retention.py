"""Retention: bookkeeping rows (published outbox rows, processed event ids, ...)
are deleted once older than their retention, so those tables stay bounded.
Business records (issues, owners, history, decisions) are never named here.

A service says what it keeps and for how long (``Runtime.keep``); one periodic
job in every replica purges. Each batch is its own short transaction deleting at
most ``batch`` rows by primary key, so PostgreSQL never holds a long lock. A
batch takes only rows no other transaction has locked (``FOR UPDATE SKIP LOCKED``;
SQLite has one writer and ignores it), so two replicas purging at once split the
rows between them instead of waiting on, or failing over, each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.trace import Status, StatusCode
from sqlalchemy import ColumnElement, delete, select, tuple_
from sqlmodel import SQLModel, col

from baton_runtime import metrics
from baton_runtime.db import Database
from baton_runtime.idempotency import ProcessedEvent
from baton_runtime.outbox import OutboxMessage
from baton_runtime.telemetry import tracer

log = logging.getLogger(__name__)

# Rows per transaction: small enough that a batch takes milliseconds, large
# enough that a backlog of millions goes within a run.
BATCH = 2000


@dataclass(frozen=True)
class Purge:
    """Delete rows of ``model`` whose timestamp ``column`` is more than ``days``
    old and that match every ``where``. ``days`` 0 keeps them forever."""

    name: str  # in logs and span attributes: say, the table's name
    model: type[SQLModel]
    column: Any  # the model's timestamp attribute, e.g. OutboxMessage.published_at
    days: int
    where: tuple[ColumnElement[bool], ...] = ()

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError(f"retention of {self.name} is {self.days} days; 0 keeps forever")


def outbox(days: int) -> Purge:
    """Published outbox rows; an unpublished row is never deleted, however old."""
    return Purge(
        "outbox",
        OutboxMessage,
        OutboxMessage.published_at,
        days,
        where=(col(OutboxMessage.published_at).is_not(None),),
    )


def processed_events(days: int) -> Purge:
    """Ids of consumed events. ``days`` must exceed how long Kafka may redeliver an
    event (topic and DLQ retention), or a redelivery would be handled again."""
    return Purge("processed_events", ProcessedEvent, ProcessedEvent.processed_at, days)


async def purge(db: Database, what: Purge, *, now: datetime, batch: int = BATCH) -> int:
    """Delete what ``what`` says is past retention at ``now``; returns how many."""
    if what.days == 0:
        return 0
    cutoff = now - timedelta(days=what.days)
    table = what.model.__table__  # type: ignore[attr-defined]
    pk = list(table.primary_key.columns)
    doomed = (
        select(*pk)
        .where(col(what.column) < cutoff, *what.where)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    key = pk[0] if len(pk) == 1 else tuple_(*pk)
    statement = delete(table).where(key.in_(doomed))
    total = 0
    while True:
        async with db.transaction() as session:
            deleted = (await session.exec(statement)).rowcount
        total += deleted
        # Fewer than a batch: nothing is left, or the rest is another replica's.
        if deleted < batch:
            return total


async def purge_all(
    db: Database,
    purges: Sequence[Purge],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    batch: int = BATCH,
) -> dict[str, int]:
    """Run every purge once; one failing does not stop the others (it is logged
    and tried again next run). Returns rows deleted per purge."""
    now = clock()
    counts: dict[str, int] = {}
    with tracer().start_as_current_span("retention") as run:
        for what in purges:
            with tracer().start_as_current_span(f"retention {what.name}") as span:
                span.set_attribute("baton.retention.days", what.days)
                try:
                    counts[what.name] = await purge(db, what, now=now, batch=batch)
                except Exception as exc:
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    metrics.retention_failures.add(1, {metrics.PURGE: what.name})
                    log.exception("retention: purging %s failed; it runs again later", what.name)
                    continue
                span.set_attribute("baton.retention.deleted", counts[what.name])
                metrics.retention_deleted.add(counts[what.name], {metrics.PURGE: what.name})
        run.set_attribute("baton.retention.deleted", sum(counts.values()))
    if any(counts.values()):
        log.info(
            "retention: deleted %s",
            ", ".join(f"{n} {name}" for name, n in counts.items() if n),
        )
    return counts
