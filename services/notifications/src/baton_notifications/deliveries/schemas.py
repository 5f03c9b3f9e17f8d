"""The deliveries API's bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_notifications.deliveries.models import Delivery, DeliveryStatus


class DeliveryPublic(BaseModel):
    id: int
    event_id: str
    event_type: str
    kind: str
    issue_id: str
    recipient_id: str
    recipient: str
    channel: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryPublic:
        assert row.id is not None
        # The row's own fields, but for its address: the recipient here.
        copied = row.model_dump(include=cls.model_fields.keys() - {"recipient"})
        return cls(recipient=row.address, **copied)
