"""Every delivery Baton attempts, one row per (event, recipient, channel).

The unique constraint is what makes "never twice" hold across redeliveries,
restarts and replicas: a second attempt finds the row and its status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

DeliveryStatus = Literal["pending", "sent", "failed"]


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "recipient_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=255)
    issue_id: str = Field(index=True, max_length=36)
    recipient_id: str = Field(index=True, max_length=128)
    address: str = Field(max_length=320)
    channel: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    sent_at: datetime | None = None


class DeliveryPublic(BaseModel):
    id: int
    event_id: str
    event_type: str
    issue_id: str
    recipient_id: str
    recipient: str
    channel: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            issue_id=row.issue_id,
            recipient_id=row.recipient_id,
            recipient=row.address,
            channel=row.channel,
            status=row.status,  # type: ignore[arg-type]
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )
