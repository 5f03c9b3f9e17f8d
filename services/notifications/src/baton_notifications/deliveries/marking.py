"""What an attempt's outcome makes of its delivery (``judge``), and marking it so
without reading its notice first, for a delivery whose notice has no other
channel (``mark``): the common case, one person by email.

A notice's channels are settled together (``dispatcher._settle_one``, on their
rows as locked), so that one reaching the person holds back the others'
``DeliveryFailed``. A notice of one channel has nothing to wait for: one UPDATE
guarded by what the claim left (still pending, its attempts unchanged) marks it
and says whether it was still ours; a row another replica took again after our
lease ran out is not marked, and its outcome is that replica's ("superseded").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from baton_runtime.rows import execute
from sqlalchemy import and_, bindparam, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.deliveries import received, service
from baton_notifications.deliveries.models import Delivery
from baton_notifications.recipients.hours import Hours
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)


def backoff_s(attempts: int, *, settings: Settings, rand: Callable[[], float]) -> float:
    """Exponential, capped, with "equal jitter": half fixed, half random, so
    replicas retrying a recovered receiver do not all arrive at once."""
    delay = min(
        settings.delivery_backoff_max_s, settings.delivery_backoff_base_s * 2 ** (attempts - 1)
    )
    return delay / 2 + rand() * delay / 2


@dataclass(frozen=True)
class Judged:
    result: str  # sent, failed (for good), retrying
    error: str | None = None
    next_attempt_at: datetime | None = None


def judge(
    row: Delivery,
    outcome: BaseException | None,
    *,
    now: datetime,
    settings: Settings,
    rand: Callable[[], float],
) -> Judged:
    """Sent; failed for good (a permanent error, or its last attempt); or to be
    retried after a backoff."""
    if outcome is None:
        return Judged("sent")
    if not isinstance(outcome, DeliveryError):
        # No traceback: its messages may hold an address or a webhook's token.
        log.error("delivery %s: unexpected %s", row.id, type(outcome).__name__)
        outcome = DeliveryError(f"unexpected {type(outcome).__name__}")
    log.info(
        "delivery %s attempt %s failed: %s",
        row.id,
        row.attempts,
        "permanent" if outcome.permanent else "transient",
    )
    if outcome.permanent or row.attempts >= settings.delivery_max_attempts:
        return Judged("failed", outcome.reason[:1000])
    delay = backoff_s(row.attempts, settings=settings, rand=rand)
    return Judged("retrying", outcome.reason[:1000], now + timedelta(seconds=delay))


def apply(row: Delivery, judged: Judged, *, now: datetime) -> None:
    """Set the row's columns as ``judged`` says (the caller writes them)."""
    if judged.result == "sent":
        row.status, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
    elif judged.result == "failed":
        row.status, row.last_error, row.failed_at = "failed", judged.error, now
        row.next_attempt_at = None
    else:
        row.last_error, row.next_attempt_at = judged.error, judged.next_attempt_at


_T = Delivery.__table__  # type: ignore[attr-defined]
# Still as the claim left it: pending, and not claimed again since.
_OURS = and_(_T.c.status == "pending", _T.c.attempts == bindparam("d_attempts"))
_SENT = (
    update(_T)
    .where(_T.c.id.in_(bindparam("d_ids", expanding=True)), _OURS)
    .values(status="sent", sent_at=bindparam("d_now"), next_attempt_at=None, last_error=None)
    .returning(_T.c.id)
)
_FAILED = (
    update(_T)
    .where(_T.c.id == bindparam("d_id"), _OURS)
    .values(
        status="failed",
        last_error=bindparam("d_error"),
        failed_at=bindparam("d_now"),
        next_attempt_at=None,
    )
    .returning(_T.c.id)
)
_RETRYING = (
    update(_T)
    .where(_T.c.id == bindparam("d_id"), _OURS)
    .values(last_error=bindparam("d_error"), next_attempt_at=bindparam("d_next"))
    .returning(_T.c.id)
)


async def mark(
    session: AsyncSession, judged: list[tuple[Delivery, Judged]], *, now: datetime
) -> set[int]:
    """Mark each delivery (of a notice of one channel) as judged, if it is still
    ours; says which were. The sent ones in one statement, each failure in one."""
    marked: set[int] = set()
    sent: dict[int, list[int]] = defaultdict(list)  # by attempts
    for row, verdict in judged:
        if verdict.result == "sent":
            sent[row.attempts].append(row.id or 0)
            continue
        params = {"d_id": row.id, "d_attempts": row.attempts, "d_error": verdict.error}
        if verdict.result == "failed":
            found = await execute(session, _FAILED, params | {"d_now": now})
        else:
            params["d_next"] = verdict.next_attempt_at
            found = await execute(session, _RETRYING, params)
        marked.update(r.id for r in found)
    for attempts, ids in sent.items():
        params = {"d_ids": ids, "d_attempts": attempts, "d_now": now}
        marked.update(r.id for r in await execute(session, _SENT, params))
    return marked


def settled_alone(
    session: AsyncSession,
    row: Delivery,
    judged: Judged,
    *,
    marked: set[int],
    hours: Hours,
    now: datetime,
    settings: Settings,
) -> str:
    """The outcome of a delivery ``mark`` was given: what its notice says (the
    notice is this row alone: a failure reached nobody)."""
    if row.id not in marked:
        return "superseded"
    apply(row, judged, now=now)
    if judged.result == "sent":
        received.count_sent(row, [row], hours)
        service.publish_sent(session, row, settings=settings)
    elif judged.result == "failed":
        service.publish_failed(session, row, settings=settings)
    return judged.result
