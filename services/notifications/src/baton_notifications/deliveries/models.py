"""Every delivery Baton attempts, one row per (event, recipient, channel).

The unique constraint is what makes "never twice" hold across redeliveries,
restarts and replicas: the consumer only records deliveries, and a row is sent
by the dispatcher, which claims it first. ``content`` is the rendered message,
so what is retried is exactly what was first tried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

DeliveryStatus = Literal["pending", "sent", "failed"]
# The largest a PostgreSQL integer column holds (ids): a larger number names no
# delivery, and the database would refuse the query rather than answer none.
INTEGER_MAX = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "recipient_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=255)
    kind: str = Field(default="assigned", max_length=32)
    issue_id: str = Field(index=True, max_length=36)
    recipient_id: str = Field(index=True, max_length=128)
    address: str = Field(max_length=320)
    channel: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # JSON: what to send (email: to/subject/text/html; slack and webhook: url/body).
    content: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    # The issue's trace, from the event's consumer span: each send joins it.
    trace_context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # When the dispatcher may next try it; None once sent or failed.
    next_attempt_at: datetime | None = Field(default=None, index=True)
    # Held for the recipient's quiet hours: sent in one digest with the others held
    # for them, when their working hours begin.
    held: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # Indexed for retention: a finished delivery is deleted BATON_DELIVERY_RETENTION_DAYS
    # after it was sent or finally failed.
    sent_at: datetime | None = Field(default=None, index=True)
    failed_at: datetime | None = Field(default=None, index=True)
