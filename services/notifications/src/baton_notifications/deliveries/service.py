"""Recording deliveries, failing them loudly, and retrying a failed one by hand.

The consumer only records (``record``), in the transaction that claims the event;
the dispatcher sends. So a slow or failing receiver never holds up the topic.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from baton_contracts import DeliveryFailed, DeliverySent, Envelope
from baton_contracts.topics import NOTIFICATIONS_DELIVERIES
from baton_runtime.kafka.tracing import carrier_from_current
from baton_runtime.outbox import add_event
from baton_runtime.problems import Problem
from baton_runtime.retention import Purge
from baton_runtime.rows import execute, stage
from pydantic import BaseModel
from sqlalchemy import Row, insert, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.deliveries import content
from baton_notifications.deliveries.models import Delivery, utcnow
from baton_notifications.deliveries.plan import Notice
from baton_notifications.issues.models import IssueCopy
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.hours import Hours, preferences_and_hours
from baton_notifications.recipients.models import RecipientPreferences
from baton_notifications.sealer import Sealer
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
SOURCE = "/baton/notifications"


_DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
# Deliveries in one statement, built once; their ids back in the rows' order.
_INSERT = insert(_DELIVERIES).returning(_DELIVERIES.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True)
class Recorded:
    """A notice's deliveries as recorded (with their ids), and what the dispatcher
    needs of the recipient to send them: their preferences and working hours
    (both None for nobody in the directory, whose deliveries all failed)."""

    rows: list[Delivery]
    prefs: RecipientPreferences | None
    hours: Hours | None

    def leased(self) -> list[Delivery]:
        """Those recorded leased to this replica's dispatcher (``record(leased=True)``)."""
        return [row for row in self.rows if row.status == "pending" and row.attempts]


async def record(
    *,
    session: AsyncSession,
    envelope: Envelope,
    event: BaseModel,
    notice: Notice,
    issue: IssueCopy,
    settings: Settings,
    clock: Clock = utcnow,
    leased: bool = False,
) -> Recorded:
    """One pending delivery per channel the recipient chose; a failed one for a
    channel with no address, and a ``DeliveryFailed`` when none can reach them.
    ``issue`` is the copy of the issue the notice is about (what it says of it).

    ``leased``: a delivery due now is recorded as the dispatcher's claim would
    leave it (its first attempt counted, its next pushed out by the lease), for
    this replica's dispatcher to be handed once the transaction commits: no other
    replica takes it meanwhile, and no claim need find it again. Its recipient's
    working hours are then read whatever the notice (the dispatcher counts by them)."""
    now = clock()
    prefs = hours = None
    if notice.person is not None and (leased or not notice.urgent):
        [(prefs, hours)] = (await preferences_and_hours(session, [notice.recipient_id])).values()
    elif notice.person is not None:
        prefs = await recipients.preferences(session=session, person_id=notice.recipient_id)
    # In the recipient's quiet hours a notice that can wait, waits for their next
    # working period, and then goes out with the others held for them (a digest).
    hold = hours.hold_until(now) if hours is not None and not notice.urgent else None
    lease_ends = now + timedelta(seconds=settings.delivery_lease_s) if leased else None
    trace_context = carrier_from_current()
    channels = recipients.channels_for(prefs, notice.kind)
    made = []
    for channel in channels if notice.person is not None else ["email"]:
        row: dict[str, Any] = dict(
            event_id=envelope.id, event_type=envelope.type, kind=notice.kind,
            issue_id=envelope.subject, recipient_id=notice.recipient_id, address="",
            channel=channel, status="pending", attempts=0, last_error=None, content="{}",
            trace_context=trace_context, next_attempt_at=hold or now, held=hold is not None,
            created_at=utcnow(), sent_at=None, failed_at=None,
        )  # fmt: skip
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
            row.update(status="failed", last_error=reason[:1000], failed_at=now)
            row["next_attempt_at"] = None
        else:
            row["address"], row["content"] = target[0], json.dumps(target[1])
            if lease_ends is not None and hold is None:
                row["attempts"], row["next_attempt_at"] = 1, lease_ends
        made.append(row)
    if not made:  # the recipient chose no channel for this kind of notice
        return Recorded([], prefs, hours)
    if all(row["status"] == "failed" for row in made):
        # Nobody to reach: its DeliveryFailed names the delivery, so it is written now.
        ids = await execute(session, _INSERT, made)
        rows = [Delivery(id=found.id, **row) for found, row in zip(ids, made, strict=True)]
        publish_failed(session, rows[-1], settings=settings)
        return Recorded(rows, prefs, hours)
    # Staged: a unit of work's deliveries go in one statement at its commit, and
    # each row learns its id then (the dispatcher is handed them after it).
    rows = [Delivery(**row) for row in made]
    for delivery, row in zip(rows, made, strict=True):
        stage(session, _DELIVERIES, row, _INSERT, returned=partial(_written, delivery))
    return Recorded(rows, prefs, hours)


def _written(delivery: Delivery, found: Row[Any]) -> None:
    delivery.id = found.id


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
