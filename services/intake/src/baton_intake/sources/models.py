"""What the doors store besides issues: the answers given to requests with an
``Idempotency-Key``, and automated mail that was recorded and not taken in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class IdempotencyRecord(SQLModel, table=True):
    """The answer given to a request with an ``Idempotency-Key``, per API key."""

    __tablename__ = "idempotency_keys"

    principal: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    response: str = Field(sa_column=Column(Text, nullable=False))
    # Indexed for retention: a record older than BATON_IDEMPOTENCY_KEY_DAYS is deleted.
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC), index=True)


class IgnoredMail(SQLModel, table=True):
    """Automated mail that was recorded and not taken in: why, never who."""

    __tablename__ = "ignored_mail"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str | None = Field(default=None, max_length=255)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # Indexed for retention: kept BATON_RETENTION_DAYS, to tell why mail was dropped.
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC), index=True)
