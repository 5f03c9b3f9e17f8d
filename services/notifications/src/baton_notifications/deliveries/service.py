"""Recording deliveries, failing them loudly, and retrying a failed one by hand.

The consumer only records (``record``), in the transaction that claims the event;
the dispatcher sends. So a slow or failing receiver never holds up the topic.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from baton_contracts import DeliveryFailed, DeliverySent, Envelope
from baton_contracts.topics import NOTIFICATIONS_DELIVERIES
from baton_runtime.kafka.tracing import carrier_from_current
from baton_runtime.outbox import add_event
from baton_runtime.problems import Problem
from baton_runtime.retention import Purge
from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.deliveries import content
from baton_notifications.deliveries.models import Delivery, utcnow
from baton_notifications.deliveries.plan import Notice
from baton_notifications.issues.models import IssueCopy
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.hours import preferences_and_hours
from baton_notifications.sealer import Sealer
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
SOURCE = "/baton/notifications"


async def record(
    *,
    session: AsyncSession,
    envelope: Envelope,
    event: BaseModel,
    notice: Notice,
    issue: IssueCopy,
    settings: Settings,
    clock: Clock = utcnow,
) -> list[Delivery]:
    """One pending delivery per channel the recipient chose; a failed one for a
    channel with no address, and a ``DeliveryFailed`` when none can reach them.
    ``issue`` is the copy of the issue the notice is about (what it says of it)."""
    now = clock()
    # In the recipient's quiet hours a notice that can wait, waits for their next
    # working period, and then goes out with the others held for them (a digest).
    hold = None
    if not notice.urgent and notice.person is not None:
        [(prefs, hours)] = (await preferences_and_hours(session, [notice.recipient_id])).values()
        hold = hours.hold_until(now)
    else:
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
            next_attempt_at=hold or now,
            held=hold is not None,
            trace_context=carrier_from_current(),
        )
        target = None
        if notice.person is not None:
            target = content.build(
                channel,
                notice=notice,
                event=event,
                envelope=envelope,
                settings=settings,
                prefs=prefs,
                issue=issue,
            )
        if target is None:
            reason = (
                "nobody by this id in the directory"
                if notice.person is None
                else f"no {channel} address set for the recipient"
            )
            fail(session, row, reason=reason, now=now)
        else:
            row.address, row.content = target[0], json.dumps(target[1])
        session.add(row)
        made.append(row)
    await session.flush()
    if made and all(row.status == "failed" for row in made):
        publish_failed(session, made[-1], settings=settings)
    return made


def fail(session: AsyncSession, row: Delivery, *, reason: str, now: datetime) -> None:
    row.status, row.last_error, row.failed_at, row.next_attempt_at = (
        "failed",
        reason[:1000],
        now,
        None,
    )
    session.add(row)


async def lock_notices(
    session: AsyncSession, rows: list[Delivery]
) -> dict[tuple[str, str], list[Delivery]]:
    """Lock and read, in one statement, every delivery of the notices ``rows``
    belong to (a notice: one event and recipient, one delivery per channel), each
    notice's in id order: two of its channels failing at once must not each see
    the other as still pending. Rows are locked in id order, as every replica
    locks them, so two settling at once wait rather than deadlock. (SQLite has
    no row locks: there the first write of a transaction waits for any other
    writer instead.) The rows are read fresh, whatever this session held of them."""
    keys = sorted({(row.event_id, row.recipient_id) for row in rows})
    locked = await session.exec(
        select(Delivery)
        .where(tuple_(col(Delivery.event_id), col(Delivery.recipient_id)).in_(keys))
        .order_by(col(Delivery.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    notices: dict[tuple[str, str], list[Delivery]] = {key: [] for key in keys}
    for row in locked.all():
        notices[(row.event_id, row.recipient_id)].append(row)
    return notices


def unreached(notice: list[Delivery]) -> bool:
    """Did every channel of the notice fail? Asked of its deliveries as locked
    (``lock_notices``) once the settled one is marked: a person whom one channel
    reached was told, and nobody need act on the others' failures."""
    return all(row.status == "failed" for row in notice)


def _publish(session: AsyncSession, row: Delivery, data: BaseModel, *, settings: Settings) -> None:
    add_event(
        session,
        topic=settings.topic(NOTIFICATIONS_DELIVERIES),
        trace_context=row.trace_context or None,
        envelope=Envelope.wrap(source=SOURCE, data=data),
    )


def _about(row: Delivery) -> dict[str, object]:
    """What both outcomes say of the delivery (never its address or content)."""
    assert row.id is not None
    return dict(
        issue_id=row.issue_id, delivery_id=row.id, event_id=row.event_id,
        event_type=row.event_type, kind=row.kind, recipient_id=row.recipient_id,
        channel=row.channel, attempts=row.attempts,
    )  # fmt: skip


def publish_failed(session: AsyncSession, row: Delivery, *, settings: Settings) -> None:
    """``DeliveryFailed`` for a notice none of whose channels reached the person;
    ``row`` is the last of them to fail."""
    assert row.failed_at is not None
    failed = DeliveryFailed(**_about(row), reason=row.last_error or "", failed_at=row.failed_at)  # type: ignore[arg-type]
    _publish(session, row, failed, settings=settings)


def publish_sent(session: AsyncSession, row: Delivery, *, settings: Settings) -> None:
    """Say the notice reached its channel (the workspace shows it on the issue's page)."""
    assert row.sent_at is not None
    _publish(session, row, DeliverySent(**_about(row), sent_at=row.sent_at), settings=settings)  # type: ignore[arg-type]


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


async def reseal_urls(*, session: AsyncSession, sealer: Sealer) -> int:
    """Reseal the webhook URL of every delivery that may still be tried (a failed
    one can be retried by hand) with the first key; returns how many held one."""
    changed = 0
    may_retry = select(Delivery).where(
        col(Delivery.status).in_(["pending", "failed"]),
        col(Delivery.channel).in_(["slack", "webhook"]),
    )
    for delivery in (await session.exec(may_retry)).all():
        content = json.loads(delivery.content)
        if "url" in content:
            content["url"] = sealer.reseal(content["url"])
            delivery.content = json.dumps(content)
            session.add(delivery)
            changed += 1
    return changed


def finished(days: int) -> list[Purge]:
    """Retention of deliveries: each is deleted ``days`` after it was sent or
    finally failed. A pending one (a retry by hand included) is never deleted."""
    return [
        Purge(
            "deliveries_sent", Delivery, Delivery.sent_at, days, (col(Delivery.status) == "sent",)
        ),
        Purge(
            "deliveries_failed",
            Delivery,
            Delivery.failed_at,
            days,
            (col(Delivery.status) == "failed",),
        ),
    ]
