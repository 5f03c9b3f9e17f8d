"""Sending what is due: in every replica, safely at once, each delivery once.

Due rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased before sending
(``dispatch_due``, the poll), or were recorded leased by this replica's consumer
and handed over in memory (``handover``); either way they are sent concurrently
(a slow receiver holds up nobody), and settled as soon as their sends finish
(those finished by then together, in one transaction): sent, retried after an
exponential backoff with jitter, or failed for good, with a ``DeliveryFailed``
once every channel of that notice has failed. Each send is bounded
(``BATON_DELIVERY_SEND_TIMEOUT_S``, at most half the lease). Email goes through a
``Mailer`` that keeps its SMTP connections open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from baton_runtime import metrics
from baton_runtime.db import Database
from baton_runtime.egress import Resolver
from baton_runtime.kafka.tracing import context_from_carrier
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications import metrics as notification_metrics
from baton_notifications.deliveries import digest, marking, received, service
from baton_notifications.deliveries.models import Delivery, utcnow
from baton_notifications.deliveries.service import Clock
from baton_notifications.recipients.hours import Hours, preferences_and_hours
from baton_notifications.recipients.models import RecipientPreferences
from baton_notifications.sealer import SealingError, sealer_for
from baton_notifications.senders import webhooks
from baton_notifications.senders.email import Mailer
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("baton.notifications")


@dataclass(frozen=True)
class Senders:
    """What sends: the ``Mailer`` (its connections kept open) and how webhooks
    resolve names (the system's resolver; tests give a stub)."""

    mailer: Mailer
    resolve: Resolver | None = None


async def _attempt(
    row: Delivery, *, settings: Settings, secret: str | SealingError | None, senders: Senders
) -> None:
    """One send, as a span in the issue's trace (ids only, never addresses), cut
    off after BATON_DELIVERY_SEND_TIMEOUT_S (at most half the lease), so that it
    is settled before another replica could take it again."""
    with tracer.start_as_current_span(
        f"deliver {row.channel}",
        context=context_from_carrier(row.trace_context),
        kind=SpanKind.CLIENT,
        attributes={
            "baton.issue_id": row.issue_id,
            "baton.delivery_id": row.id or 0,
            "baton.recipient_id": row.recipient_id,
            "baton.channel": row.channel,
            "baton.kind": row.kind,
            "baton.attempt": row.attempts,
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        limit = settings.delivery_send_timeout_s
        try:
            try:
                async with asyncio.timeout(limit):
                    await _send(row, settings=settings, secret=secret, senders=senders)
            except TimeoutError:
                raise DeliveryError(f"{row.channel} not sent within {limit}s") from None
        except DeliveryError as exc:
            span.set_attribute("baton.outcome", "permanent" if exc.permanent else "transient")
            span.set_status(Status(StatusCode.ERROR, "delivery failed"))
            raise
        span.set_attribute("baton.outcome", "sent")


def _url(content: dict[str, Any], settings: Settings) -> str:
    """The webhook URL, as the recipient's preferences held it (sealed, if keys are set)."""
    try:
        url = sealer_for(settings.encryption_keys.get_secret_value()).open(content["url"])
    except SealingError as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    assert url is not None
    return url


async def _send(
    row: Delivery, *, settings: Settings, secret: str | SealingError | None, senders: Senders
) -> None:
    content = json.loads(row.content)
    if row.channel == "email":
        await senders.mailer.send(content)
    elif row.channel == "slack":
        await webhooks.post(
            _url(content, settings),
            content["body"],
            settings=settings,
            channel="slack",
            resolve=senders.resolve,
        )
    elif row.channel == "webhook":
        if isinstance(secret, SealingError):
            raise DeliveryError(f"the recipient's webhook secret: {secret}", permanent=True)
        if secret is None:
            raise DeliveryError(
                "no webhook secret: set the recipient's or BATON_WEBHOOK_SECRET", permanent=True
            )
        await webhooks.post(
            _url(content, settings),
            content["body"],
            settings=settings,
            secret=secret,
            resolve=senders.resolve,
        )
    else:
        raise DeliveryError(f"unknown channel {row.channel!r}", permanent=True)


async def dispatch_due(
    *,
    db: Database,
    settings: Settings,
    clock: Clock = utcnow,
    rand: Callable[[], float] = random.random,
    mailer: Mailer | None = None,
    resolve: Resolver | None = None,
) -> int:
    """Send every delivery that is due, once. Safe in several replicas at once:
    due rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased (pushed out by
    ``delivery_lease_s``) before sending, so no other replica takes them meanwhile.
    Returns how many were attempted."""
    async with db.transaction() as session:
        due = await _claim(session, now=clock(), settings=settings)
        # Read once for the batch: webhook secrets, and the working hours each
        # notice reaching its person is counted within or outside.
        known = await preferences_and_hours(session, sorted({row.recipient_id for row in due}))
    if due:
        await deliver(
            due, known, db=db, settings=settings, clock=clock, rand=rand, mailer=mailer,
            resolve=resolve,
        )  # fmt: skip
    return len(due)


async def deliver(
    due: list[Delivery],
    known: dict[str, tuple[RecipientPreferences | None, Hours]],
    *,
    db: Database,
    settings: Settings,
    clock: Clock,
    rand: Callable[[], float],
    mailer: Mailer | None,
    resolve: Resolver | None,
    alone: AbstractSet[int] = frozenset(),
) -> None:
    """Send leased deliveries (``due``, in id order) and settle their outcomes.
    ``known``: each recipient's preferences and working hours; ``alone``: the
    ids of those whose notice has no other channel (``marking``)."""
    sealer = sealer_for(settings.encryption_keys.get_secret_value())
    secrets: dict[int, str | SealingError | None] = {}
    glob = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    for row in due:
        if row.channel == "webhook":
            own_prefs = known[row.recipient_id][0]
            try:
                own = sealer.open(own_prefs.webhook_secret) if own_prefs else None
                secrets[row.id or 0] = own or glob
            except SealingError as exc:
                secrets[row.id or 0] = exc  # this delivery fails, saying why

    own_mailer = mailer is None
    senders = Senders(mailer or Mailer(settings), resolve)

    async def attempt(batch: list[Delivery]) -> list[tuple[Delivery, BaseException | None]]:
        # A digest is one send for every notice held for the person: each row
        # of it is settled with that send's outcome.
        try:
            secret = secrets.get(batch[0].id or 0)
            await _attempt(
                digest.combined(batch), settings=settings, secret=secret, senders=senders
            )
            outcome: BaseException | None = None
        except Exception as exc:
            outcome = exc
        return [(row, outcome) for row in batch]

    sending = {asyncio.create_task(attempt(b)) for b in digest.batches(list(due))}
    try:
        # Concurrently: one slow receiver does not hold up the others. As soon as
        # any outcome is known, every outcome known by then is settled together,
        # in one transaction, while the rest are still sending (well within the lease).
        while sending:
            done, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
            outcomes = sorted(
                (pair for task in done for pair in task.result()), key=lambda p: p[0].id or 0
            )
            settled = await _settle(
                db, outcomes, known, settings=settings, clock=clock, rand=rand, alone=alone
            )
            # Counted after the commit, so each attempt is counted once.
            for (row, _), result in zip(outcomes, settled, strict=True):
                notification_metrics.delivery_attempts.add(
                    1, {metrics.CHANNEL: row.channel, metrics.OUTCOME: result}
                )
    finally:
        for task in sending:  # cancelled, or settling failed: the lease retries them
            task.cancel()
        if sending:
            await asyncio.wait(sending)
        if own_mailer:
            await senders.mailer.close()


async def _claim(session: AsyncSession, *, now: datetime, settings: Settings) -> list[Delivery]:
    """Take up to a batch of due deliveries and lease them (their next attempt
    pushed out by ``delivery_lease_s``, their attempts counted), in one statement:
    the due rows are picked ``FOR UPDATE SKIP LOCKED``, so another replica's
    claim passes over them. In id order (the order they were recorded)."""
    due = (
        select(Delivery.id)
        .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= now)
        .order_by(col(Delivery.next_attempt_at))
        .limit(settings.delivery_batch)
        .with_for_update(skip_locked=True)
    )
    lease = (
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(
            attempts=col(Delivery.attempts) + 1,
            next_attempt_at=now + timedelta(seconds=settings.delivery_lease_s),
        )
        .returning(Delivery)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    claimed = (await session.exec(lease)).scalars().all()  # type: ignore[call-overload]
    return sorted(claimed, key=lambda row: row.id or 0)


async def _settle(
    db: Database,
    outcomes: list[tuple[Delivery, BaseException | None]],
    known: dict[str, tuple[Any, Hours]],
    *,
    settings: Settings,
    clock: Clock,
    rand: Callable[[], float],
    alone: AbstractSet[int] = frozenset(),
) -> list[str]:
    """Record the outcomes of attempts, in one transaction: each sent, retrying,
    failed (for good), or superseded (another replica owns the delivery now).
    One statement locks and reads every delivery of the notices concerned; then
    the rows' updates and the outcomes' events (the ORM batches alike ones).
    Deliveries in ``alone`` (their notice has no other channel) are marked
    without that read (``marking``). ``known`` holds each recipient's working hours."""
    now = clock()
    async with db.transaction() as session:
        shared = [claimed for claimed, _ in outcomes if claimed.id not in alone]
        notices = await service.lock_notices(session, shared) if shared else {}
        judged = {
            claimed.id: marking.judge(claimed, outcome, now=now, settings=settings, rand=rand)
            for claimed, outcome in outcomes
            if claimed.id in alone
        }
        marked = await marking.mark(
            session, [(c, judged[c.id]) for c, _ in outcomes if c.id in judged], now=now
        )
        return [
            marking.settled_alone(
                session, claimed, judged[claimed.id], marked=marked,
                hours=known[claimed.recipient_id][1], now=now, settings=settings,
            )
            if claimed.id in judged
            else _settle_one(
                session,
                claimed,
                outcome,
                notices.get((claimed.event_id, claimed.recipient_id), []),
                known[claimed.recipient_id][1],
                now=now,
                settings=settings,
                rand=rand,
            )
            for claimed, outcome in outcomes
        ]  # fmt: skip


def _settle_one(
    session: AsyncSession,
    claimed: Delivery,
    outcome: BaseException | None,
    notice: list[Delivery],
    hours: Hours,
    *,
    now: datetime,
    settings: Settings,
    rand: Callable[[], float],
) -> str:
    """One attempt's outcome, on its notice's rows as locked (and as the outcomes
    settled before it in this transaction left them: two channels of one notice
    failing together still make one ``DeliveryFailed``)."""
    row = next((r for r in notice if r.id == claimed.id), None)
    # Another replica took it again after our lease ran out: its outcome counts.
    if row is None or row.status != "pending" or row.attempts != claimed.attempts:
        return "superseded"
    judged = marking.judge(row, outcome, now=now, settings=settings, rand=rand)
    marking.apply(row, judged, now=now)
    session.add(row)
    if judged.result == "sent":
        received.count_sent(row, notice, hours)
        service.publish_sent(session, row, settings=settings)
    # Escalation is for a person nobody reached: not when another channel did.
    elif judged.result == "failed" and service.unreached(notice):
        service.publish_failed(session, row, settings=settings)
    return judged.result
