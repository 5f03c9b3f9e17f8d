"""The dispatcher of a running service: it sends what its own consumers recorded,
handed over in memory once their transaction committed, and polls for the rest.

A consumer records a delivery that is due now already leased (``record(leased=True)``:
its first attempt counted, its next pushed out by ``delivery_lease_s``), exactly
as the dispatcher's claim would have left it. So no other replica's poll takes
it while the lease runs, and this replica's dispatcher needs no transaction to
find and claim it again: it is handed the rows (``hand_over``) and sends them.
If they never arrive (a crash after the commit, a shutdown), the lease runs out
and any replica's poll claims them as usual: late, never twice. A handed
delivery whose lease is too far gone to send and settle within it is left to
that poll as well.

The poll (``dispatcher.dispatch_due``) still runs every
``delivery_poll_interval_s``: retries that come due, digests held for quiet
hours, another replica's expired leases.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from baton_runtime.db import Database
from baton_runtime.egress import Resolver
from baton_runtime.rows import execute
from sqlalchemy import bindparam, update

from baton_notifications.deliveries import dispatcher
from baton_notifications.deliveries.models import Delivery, utcnow
from baton_notifications.deliveries.service import Clock
from baton_notifications.recipients.hours import Hours
from baton_notifications.recipients.models import RecipientPreferences
from baton_notifications.senders.email import Mailer
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Leased:
    """A delivery recorded leased, handed to this replica's dispatcher after the
    commit; with what sending and settling it needs of its recipient."""

    row: Delivery
    prefs: RecipientPreferences | None
    hours: Hours
    alone: bool  # its notice has no other channel (``marking``)


_T = Delivery.__table__  # type: ignore[attr-defined]
# Handed over but never sent (the service is stopping): due again now, its
# counted attempt given back, unless a poll claimed it since (its attempts moved on).
_RELEASE = (
    update(_T)
    .where(_T.c.id.in_(bindparam("d_ids", expanding=True)), _T.c.status == "pending")
    .where(_T.c.attempts == 1)
    .values(attempts=0, next_attempt_at=bindparam("d_now"))
)


class Dispatcher:
    """Sends what consumers hand over, and what the poll finds. ``run`` is the
    periodic job (``Runtime.every``, woken by ``wake``)."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        mailer: Mailer,
        clock: Clock = utcnow,
        rand: Callable[[], float] = random.random,
        resolve: Resolver | None = None,
    ) -> None:
        self._db, self._settings, self._mailer = db, settings, mailer
        self._clock, self._rand, self._resolve = clock, rand, resolve
        self._handed: deque[Leased] = deque()
        self._polled_at = float("-inf")  # time.monotonic() of the last poll
        self.wake = asyncio.Event()

    def hand_over(self, leased: list[Leased]) -> None:
        """Take deliveries a consumer's transaction recorded leased, once it committed."""
        if leased:
            self._handed.extend(leased)
            self.wake.set()

    async def run(self) -> bool:
        """Send what was handed over, and poll when nothing was or the poll is due.
        True when more is waiting (a full batch)."""
        more = False
        handed = bool(self._handed)
        if handed:
            more = await self._send_handed()
        interval = self._settings.delivery_poll_interval_s
        if not handed or time.monotonic() - self._polled_at >= interval:
            self._polled_at = time.monotonic()
            attempted = await dispatcher.dispatch_due(
                db=self._db, settings=self._settings, clock=self._clock, rand=self._rand,
                mailer=self._mailer, resolve=self._resolve,
            )  # fmt: skip
            more = more or attempted >= self._settings.delivery_batch
        return more

    async def _send_handed(self) -> bool:
        """Up to a batch of what was handed over, sent as the poll's are. A row is
        sent only while at least twice the send timeout of its lease remains (a
        send is cut off at the timeout, and settled well before the lease ends, as
        a claimed one is); else the poll takes it once the lease has run out."""
        settings = self._settings
        now = self._clock()
        enough = timedelta(seconds=2 * settings.delivery_send_timeout_s)
        taken: list[Leased] = []
        while self._handed and len(taken) < settings.delivery_batch:
            item = self._handed.popleft()
            lease_ends = item.row.next_attempt_at
            if lease_ends is not None and lease_ends - now >= enough:
                taken.append(item)
            else:
                log.info("delivery %s: its lease is nearly over; the poll sends it", item.row.id)
        if taken:
            taken.sort(key=lambda item: item.row.id or 0)
            await dispatcher.deliver(
                [item.row for item in taken],
                {item.row.recipient_id: (item.prefs, item.hours) for item in taken},
                alone={item.row.id for item in taken if item.alone and item.row.id is not None},
                db=self._db, settings=settings, clock=self._clock, rand=self._rand,
                mailer=self._mailer, resolve=self._resolve,
            )  # fmt: skip
        return bool(self._handed)

    async def release(self) -> None:
        """At shutdown: what was handed over and not sent is due again at once, for
        the next replica or start to send, rather than after its lease."""
        ids = [item.row.id for item in self._handed]
        self._handed.clear()
        if ids:
            async with self._db.transaction() as session:
                await execute(session, _RELEASE, {"d_ids": ids, "d_now": self._clock()})
