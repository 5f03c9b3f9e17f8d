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
        return cls(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            kind=row.kind,
            issue_id=row.issue_id,
            recipient_id=row.recipient_id,
            recipient=row.address,
            channel=row.channel,
            status=row.status,  # type: ignore[arg-type]
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            sent_at=row.sent_at,
            failed_at=row.failed_at,
        )
