"""Topic family ``notifications.deliveries``: what notifications could not deliver.

A ``DeliveryFailed`` means a person was not told despite every retry, so whoever
relies on them acting (ownership) can escalate instead of waiting in silence.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_contracts.envelope import register

DELIVERY_FAILED_V1 = "baton.notification.delivery_failed.v1"


class DeliveryFailed(BaseModel):
    issue_id: str
    delivery_id: int
    event_id: str  # the event the person was to be told about
    event_type: str
    kind: str  # what they were to be told: assigned, handoff_requested, escalated, ...
    recipient_id: str
    channel: str  # email | slack | webhook
    attempts: int
    reason: str
    failed_at: datetime


register(DELIVERY_FAILED_V1, DeliveryFailed)
