"""On ``OwnerAssigned``: email the owner, exactly once.

The delivery row is written before sending and marked sent after, each in its
own transaction. A redelivered event that finds it sent does nothing; one that
finds it pending or failed tries again. The only window for a duplicate is a
crash between the SMTP server's acceptance and the mark, which SMTP cannot close.
"""

from __future__ import annotations

from datetime import UTC, datetime

from baton_shared.events import Envelope, OwnerAssigned
from baton_shared.idempotency import claim
from baton_shared.service import Runtime
from opentelemetry import trace
from sqlmodel import select

from baton_notifications.deliveries.email import owner_assigned_message, send_email
from baton_notifications.deliveries.models import Delivery
from baton_notifications.settings import Settings

EMAIL = "email"


async def on_owner_assigned(envelope: Envelope, *, runtime: Runtime) -> None:
    event = envelope.payload()
    if not isinstance(event, OwnerAssigned):
        return  # other ownership changes are not notified yet
    settings = runtime.settings
    assert isinstance(settings, Settings)
    span = trace.get_current_span()
    span.set_attribute("baton.department", event.department)
    span.set_attribute("baton.recipient_id", event.owner.id)
    span.set_attribute("baton.channel", EMAIL)

    async with runtime.db.transaction() as session:
        delivery = (
            await session.exec(
                select(Delivery).where(
                    Delivery.event_id == envelope.id,
                    Delivery.recipient_id == event.owner.id,
                    Delivery.channel == EMAIL,
                )
            )
        ).first()
        if delivery is not None and delivery.status == "sent":
            span.set_attribute("baton.outcome", "already_sent")
            return
        if delivery is None:
            delivery = Delivery(
                event_id=envelope.id,
                event_type=envelope.type,
                issue_id=event.issue_id,
                recipient_id=event.owner.id,
                address=event.owner.email,
                channel=EMAIL,
            )
        delivery.attempts += 1
        session.add(delivery)
    try:
        await send_email(owner_assigned_message(event, settings=settings), settings=settings)
    except Exception as exc:
        async with runtime.db.transaction() as session:
            delivery.status = "failed"
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            session.add(delivery)
        raise
    async with runtime.db.transaction() as session:
        delivery.status = "sent"
        delivery.sent_at = datetime.now(UTC)
        delivery.last_error = None
        session.add(delivery)
        await claim(session, envelope.id)
    span.set_attribute("baton.outcome", "sent")
