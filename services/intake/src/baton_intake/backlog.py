"""Back-pressure at the doors: while intake's outbox holds more unpublished events
than ``BATON_INTAKE_MAX_OUTBOX_BACKLOG``, a request that would create an issue
is answered 429 with ``Retry-After`` and nothing is stored.

Why: on the embedded default the POSTs, intake's relay and its consumers queue
for one SQLite write lock. POSTs that never slow down leave the relay less and
less of it, ``IssueReported`` leaves later and later and the pipeline starves.
Refusing while the outbox is behind gives the lock back to the relay.

The count is one indexed query, made at most every ``REFRESH_S`` by whichever
request finds it stale (the kernel's ``outbox_pending`` gauge is refreshed only
every 15 s, and only with metrics on). Email is not refused (its door is left
out): mail waits in the sender's queue, and a refused pipe would bounce it.
Issues other systems publish on ``issues.inbound`` are pulled, not pushed: the
consumer takes them at the pace it can.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from baton_runtime.db import Database
from baton_runtime.outbox import OutboxMessage
from baton_runtime.problems import Problem
from baton_runtime.service import runtime_of
from fastapi import Request
from sqlalchemy import func, or_
from sqlmodel import col, select

from baton_intake.settings import Settings

REFRESH_S = 0.5  # how stale the count may be: at 50 POSTs/s, some 25 overshoot
RATE_WINDOW_S = 10.0  # the relay's pace: events it published in this window
RETRY_AFTER_S = (1, 30)


@dataclass(frozen=True)
class Reading:
    pending: int  # committed events not yet published
    published_per_s: float  # the relay's recent pace


def retry_after(reading: Reading) -> int:
    """Seconds the relay needs, at its recent pace, to publish what waits: when
    a retry has a fair chance. No recent pace (Kafka down, say): the longest."""
    low, high = RETRY_AFTER_S
    if reading.published_per_s <= 0:
        return high
    return min(max(math.ceil(reading.pending / reading.published_per_s), low), high)


class Backlog:
    """Intake's outbox backlog, measured at most every ``refresh_s``."""

    def __init__(
        self,
        db: Database,
        *,
        refresh_s: float = REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._refresh_s = refresh_s
        self._clock = clock
        self._reading: Reading | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    def _stale(self) -> bool:
        return self._reading is None or self._clock() - self._at >= self._refresh_s

    async def reading(self) -> Reading:
        # While one request measures, the others go by the last reading.
        if self._reading is not None and (not self._stale() or self._lock.locked()):
            return self._reading
        async with self._lock:
            if self._stale():
                self._reading = await self.measure()
                self._at = self._clock()
        assert self._reading is not None
        return self._reading

    async def measure(self) -> Reading:
        since = datetime.now(UTC) - timedelta(seconds=RATE_WINDOW_S)
        published_at = col(OutboxMessage.published_at)
        async with self._db.session() as session:
            rows, published = (
                await session.exec(
                    select(func.count(), func.count(published_at)).where(
                        or_(published_at.is_(None), published_at >= since)
                    )
                )
            ).one()
        return Reading(pending=rows - published, published_per_s=published / RATE_WINDOW_S)


async def not_behind(request: Request) -> None:
    """A door's dependency: 429 while the outbox holds more than the bound."""
    settings: Settings = runtime_of(request).settings
    bound = settings.intake_max_outbox_backlog
    if bound == 0:
        return
    reading = await request.app.state.backlog.reading()
    if reading.pending <= bound:
        return
    seconds = retry_after(reading)
    raise Problem(
        429,
        f"Intake is busy: {reading.pending} issues and updates it took in are still waiting "
        f"to be passed on (more than {bound}), so this request was not taken in and nothing "
        f"was stored. Send the same request again in {seconds} s (Retry-After); with the "
        "same Idempotency-Key it is still taken in only once.",
        title="Too many issues waiting",
        headers={"Retry-After": str(seconds)},
    )
