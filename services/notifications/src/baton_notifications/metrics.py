"""Notifications' own metrics (the kernel's are in ``baton_runtime.metrics``)."""

from __future__ import annotations

from baton_runtime.metrics import meter

delivery_attempts = meter.create_counter(
    "baton.delivery.attempts",
    unit="{attempt}",
    description="Notifications: delivery attempts by channel and outcome: sent, retrying, "
    "failed (for good; DeliveryFailed follows once every channel of the notice failed), "
    "superseded (another replica's lease).",
)

WORKING_HOURS = "baton.working_hours"
HELD = "baton.held"

notices_received = meter.create_counter(
    "baton.notices.received",
    unit="{notice}",
    description="Notifications: notices that reached a person (the first channel of each), by "
    "the person's department and whether it was within their working hours (inside) or not "
    "(outside), and whether it had waited for their quiet hours to end (held).",
)
