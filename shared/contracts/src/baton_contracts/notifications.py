"""Topic family ``notifications.deliveries``: what became of each notice.

A ``DeliveryFailed`` means a person was not told despite every retry, so whoever
relies on them acting (ownership) can escalate instead of waiting in silence. A
``DeliverySent`` says a notice reached its channel (the workspace shows both on
the issue's page).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_contracts.envelope import register

DELIVERY_FAILED_V1 = "baton.notification.delivery_failed.v1"
DELIVERY_SENT_V1 = "baton.notification.delivery_sent.v1"


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


class DeliverySent(BaseModel):
    issue_id: str
    delivery_id: int
    event_id: str  # the event the person was told about
    event_type: str
    kind: str
    recipient_id: str
    channel: str
    attempts: int
    sent_at: datetime


register(DELIVERY_FAILED_V1, DeliveryFailed)
register(DELIVERY_SENT_V1, DeliverySent)
