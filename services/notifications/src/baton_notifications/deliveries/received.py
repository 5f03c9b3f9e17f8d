"""Counting notices as they reach people: the interrupt load, by department and
by whether it came within the person's working hours."""

from __future__ import annotations

from baton_runtime.metrics import DEPARTMENT

from baton_notifications import metrics
from baton_notifications.deliveries.models import Delivery
from baton_notifications.recipients.hours import Hours


def count_sent(row: Delivery, notice: list[Delivery], hours: Hours) -> None:
    """Count a notice once it reached its person, by the first of its channels to.
    ``notice`` is every channel's delivery of it, as locked when ``row`` was settled;
    ``hours`` the person's working hours."""
    assert row.sent_at is not None
    if any(other.status == "sent" for other in notice if other.id != row.id):
        return
    metrics.notices_received.add(
        1,
        {
            DEPARTMENT: hours.department or "none",
            metrics.WORKING_HOURS: "inside" if hours.working(row.sent_at) else "outside",
            metrics.HELD: str(row.held).lower(),
        },
    )
