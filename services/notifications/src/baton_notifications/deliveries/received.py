"""Counting notices as they reach people: the interrupt load, by department and
by whether it came within the person's working hours."""

from __future__ import annotations

from baton_runtime.metrics import DEPARTMENT
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications import metrics
from baton_notifications.deliveries.models import Delivery
from baton_notifications.recipients.hours import person_hours


async def count_sent(session: AsyncSession, row: Delivery) -> None:
    """Count a notice once it reached its person, by the first of its channels to."""
    assert row.sent_at is not None
    earlier = (
        await session.exec(
            select(func.count()).select_from(Delivery).where(
                Delivery.event_id == row.event_id, Delivery.recipient_id == row.recipient_id,
                Delivery.status == "sent", col(Delivery.id) != row.id,
            )
        )
    ).one()  # fmt: skip
    if earlier:
        return
    hours = await person_hours(session, row.recipient_id)
    metrics.notices_received.add(
        1,
        {
            DEPARTMENT: hours.department or "none",
            metrics.WORKING_HOURS: "inside" if hours.working(row.sent_at) else "outside",
            metrics.HELD: str(row.held).lower(),
        },
    )
