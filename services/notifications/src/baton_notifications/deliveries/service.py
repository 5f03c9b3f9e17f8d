"""Recording deliveries, sending what is due, retrying with backoff, failing loudly.

The consumer only records (``record``), in the transaction that claims the event;
``dispatch_due`` sends. So a slow or failing receiver never holds up the topic,
and a failure waits out its backoff without blocking any other delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from baton_shared.db import Database
from baton_shared.events import DeliveryFailed, Envelope
from baton_shared.kafka.topics import NOTIFICATIONS_DELIVERIES
from baton_shared.kafka.tracing import carrier_from_current, context_from_carrier
from baton_shared.outbox import add_event
from baton_shared.problems import Problem
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.channels import email, webhooks
from baton_notifications.channels.errors import DeliveryError
from baton_notifications.deliveries.models import Delivery, utcnow
from baton_notifications.deliveries.plan import Notice
from baton_notifications.deliveries.templates import render
from baton_notifications.recipients import service as recipients
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("baton.notifications")
Clock = Callable[[], datetime]
SOURCE = "/baton/notifications"


def backoff_s(attempts: int, *, settings: Settings, rand: Callable[[], float]) -> float:
    """Exponential, capped, with "equal jitter": half fixed, half random, so
    replicas retrying a recovered receiver do not all arrive at once."""
    delay = min(
        settings.delivery_backoff_max_s, settings.delivery_backoff_base_s * 2 ** (attempts - 1)
    )
    return delay / 2 + rand() * delay / 2


def _content(
    channel: str,
    *,
    notice: Notice,
    event: BaseModel,
    envelope: Envelope,
    settings: Settings,
    prefs: Any,
) -> tuple[str, dict[str, Any]] | None:
    """(address shown in the API, what to send) for one channel; None if it has no address."""
    assert notice.person is not None
    msg = render(
        notice.kind,
        event=event,
        person=notice.person,
        due_at=notice.due_at,
        public_base_url=settings.public_base_url,
    )
    if channel == "email":
        to = f"{notice.person.name} <{notice.person.email}>"
        return notice.person.email, {
            "to": to,
            "subject": msg.subject,
            "text": msg.text,
            "html": msg.html,
        }
    if channel == "slack":
        if not (prefs and prefs.slack_webhook_url):
            return None
        body = webhooks.slack_body(subject=msg.subject, text=msg.text, link=msg.link)
        return "slack webhook", {"url": prefs.slack_webhook_url, "body": body}
    if channel == "webhook":
        if not (prefs and prefs.webhook_url):
            return None
        body = {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "kind": notice.kind,
            "issue_id": envelope.subject,
            "recipient_id": notice.recipient_id,
            "subject": msg.subject,
            "text": msg.text,
            "link": msg.link,
            "due_at": notice.due_at.isoformat() if notice.due_at else None,
        }
        return "webhook", {"url": prefs.webhook_url, "body": body}
    return None


async def record(
    *,
    session: AsyncSession,
    envelope: Envelope,
    event: BaseModel,
    notice: Notice,
    settings: Settings,
    clock: Clock = utcnow,
) -> list[Delivery]:
    """One pending delivery per channel the recipient chose; one failed delivery
    (and a ``DeliveryFailed``) when they cannot be reached at all."""
    now = clock()
    prefs = await recipients.preferences(session=session, person_id=notice.recipient_id)
    channels = recipients.channels_for(prefs, notice.kind)
    made = []
    for channel in channels if notice.person is not None else ["email"]:
        row = Delivery(
            event_id=envelope.id,
            event_type=envelope.type,
            kind=notice.kind,
            issue_id=envelope.subject,
            recipient_id=notice.recipient_id,
            address="",
            channel=channel,
            next_attempt_at=now,
            trace_context=carrier_from_current(),
        )
        target = None
        if notice.person is not None:
            target = _content(
                channel,
                notice=notice,
                event=event,
                envelope=envelope,
                settings=settings,
                prefs=prefs,
            )
        if target is None:
            reason = (
                "nobody by this id in the directory"
                if notice.person is None
                else f"no {channel} address set for the recipient"
            )
            _fail(session, row, reason=reason, now=now)
        else:
            row.address, row.content = target[0], json.dumps(target[1])
        session.add(row)
        made.append(row)
    await session.flush()
    for row in made:
        if row.status == "failed":
            _publish_failed(session, row, settings=settings)
    return made


def _fail(session: AsyncSession, row: Delivery, *, reason: str, now: datetime) -> None:
    row.status, row.last_error, row.failed_at, row.next_attempt_at = (
        "failed",
        reason[:1000],
        now,
        None,
    )
    session.add(row)


def _publish_failed(session: AsyncSession, row: Delivery, *, settings: Settings) -> None:
    assert row.id is not None and row.failed_at is not None
    add_event(
        session,
        topic=settings.topic(NOTIFICATIONS_DELIVERIES),
        trace_context=row.trace_context or None,
        envelope=Envelope.wrap(
            source=SOURCE,
            data=DeliveryFailed(
                issue_id=row.issue_id,
                delivery_id=row.id,
                event_id=row.event_id,
                event_type=row.event_type,
                kind=row.kind,
                recipient_id=row.recipient_id,
                channel=row.channel,
                attempts=row.attempts,
                reason=row.last_error or "",
                failed_at=row.failed_at,
            ),
        ),
    )


async def _attempt(row: Delivery, *, settings: Settings, secret: str | None) -> None:
    """One send, as a span in the issue's trace (ids only, never addresses)."""
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
        try:
            await _send(row, settings=settings, secret=secret)
        except DeliveryError as exc:
            span.set_attribute("baton.outcome", "permanent" if exc.permanent else "transient")
            span.set_status(Status(StatusCode.ERROR, "delivery failed"))
            raise
        span.set_attribute("baton.outcome", "sent")


async def _send(row: Delivery, *, settings: Settings, secret: str | None) -> None:
    content = json.loads(row.content)
    if row.channel == "email":
        await email.send(content, settings=settings)
    elif row.channel == "slack":
        await webhooks.post(content["url"], content["body"], settings=settings)
    elif row.channel == "webhook":
        if secret is None:
            raise DeliveryError(
                "no webhook secret: set the recipient's or BATON_WEBHOOK_SECRET", permanent=True
            )
        await webhooks.post(content["url"], content["body"], settings=settings, secret=secret)
    else:
        raise DeliveryError(f"unknown channel {row.channel!r}", permanent=True)


async def dispatch_due(
    *,
    db: Database,
    settings: Settings,
    clock: Clock = utcnow,
    rand: Callable[[], float] = random.random,
    on_failed: Callable[[], None] = lambda: None,
) -> int:
    """Send every delivery that is due, once. Safe in several replicas at once:
    due rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased (pushed out by
    ``delivery_lease_s``) before sending, so no other replica takes them meanwhile.
    Returns how many were attempted."""
    now = clock()
    secrets: dict[int, str | None] = {}
    async with db.transaction() as session:
        due = (
            await session.exec(
                select(Delivery)
                .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= now)
                .order_by(col(Delivery.next_attempt_at))
                .limit(settings.delivery_batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in due:
            row.attempts += 1
            row.next_attempt_at = now + timedelta(seconds=settings.delivery_lease_s)
            session.add(row)
            if row.channel == "webhook":
                prefs = await recipients.preferences(session=session, person_id=row.recipient_id)
                own = prefs.webhook_secret if prefs else None
                glob = (
                    settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
                )
                secrets[row.id or 0] = own or glob
    # Concurrently: one slow receiver does not hold up the others.
    outcomes = await asyncio.gather(
        *(_attempt(row, settings=settings, secret=secrets.get(row.id or 0)) for row in due),
        return_exceptions=True,
    )
    failed = False
    for row, outcome in zip(due, outcomes, strict=True):
        failed |= await _settle(
            db, row.id or 0, row.attempts, outcome, settings=settings, clock=clock, rand=rand
        )
    if failed:
        on_failed()
    return len(due)


async def _settle(
    db: Database,
    delivery_id: int,
    attempt: int,
    outcome: BaseException | None,
    *,
    settings: Settings,
    clock: Clock,
    rand: Callable[[], float],
) -> bool:
    """Record one attempt's outcome; True when the delivery has now failed for good."""
    now = clock()
    async with db.transaction() as session:
        row = await session.get(Delivery, delivery_id)
        # Another replica took it again after our lease ran out: its outcome counts.
        if row is None or row.status != "pending" or row.attempts != attempt:
            return False
        if outcome is None:
            row.status, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
            session.add(row)
            return False
        if not isinstance(outcome, DeliveryError):
            log.error(
                "delivery %s: unexpected %s", delivery_id, type(outcome).__name__, exc_info=outcome
            )
            outcome = DeliveryError(f"unexpected {type(outcome).__name__}")
        log.info(
            "delivery %s attempt %s failed: %s",
            delivery_id,
            row.attempts,
            "permanent" if outcome.permanent else "transient",
        )
        if outcome.permanent or row.attempts >= settings.delivery_max_attempts:
            _fail(session, row, reason=outcome.reason, now=now)
            await session.flush()
            _publish_failed(session, row, settings=settings)
            return True
        row.last_error = outcome.reason[:1000]
        row.next_attempt_at = now + timedelta(
            seconds=backoff_s(row.attempts, settings=settings, rand=rand)
        )
        session.add(row)
        return False


async def retry(*, session: AsyncSession, delivery_id: int, clock: Clock = utcnow) -> Delivery:
    """Try a failed delivery once more, now (its content is what was first tried)."""
    row = await session.get(Delivery, delivery_id)
    if row is None:
        raise Problem(404, f"No delivery {delivery_id}.", title="Unknown delivery")
    if row.status != "failed":
        raise Problem(
            409,
            f"Delivery {delivery_id} is {row.status}; only a failed one can be retried.",
            title="Not failed",
        )
    if row.content == "{}":
        raise Problem(
            409,
            f"Delivery {delivery_id} has no address to send to; set the "
            "recipient's preferences, then the next notice will reach them.",
            title="Nothing to send",
        )
    row.status, row.next_attempt_at, row.failed_at = "pending", clock(), None
    session.add(row)
    await session.flush()
    return row
