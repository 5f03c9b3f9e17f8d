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
