"""What each person wants to be told, and where: their channels per kind of notice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

# The channels of a kind of notice a person never chose channels for.
DEFAULT_CHANNELS: list[str] = ["email"]


class RecipientPreferences(SQLModel, table=True):
    __tablename__ = "recipient_preferences"

    person_id: str = Field(primary_key=True, max_length=128)
    # For people the catalog does not list (say, an employee who reported an issue).
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    # kind -> channels; a kind not listed goes by email.
    channels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The next three are sealed at rest (baton_notifications.sealer): read them
    # through a Sealer's open().
    slack_webhook_url: str | None = Field(default=None, sa_column=Column(Text))
    webhook_url: str | None = Field(default=None, sa_column=Column(Text))
    # Signs this person's generic webhooks; else the service-wide BATON_WEBHOOK_SECRET.
    webhook_secret: str | None = Field(default=None, sa_column=Column(Text))
    # Deadlines in notices are shown in this zone (IANA name); else BATON_DEFAULT_TIME_ZONE.
    time_zone: str | None = Field(default=None, max_length=64)
    # Notices in this language (en, de); else the language.
    language: str | None = Field(default=None, max_length=8)
    # Outside their working hours (their own calendar, else their department's),
    # notices that are not urgent wait and go out together when work starts again.
    quiet_hours: bool = True
    working_hours: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


SEALED_FIELDS = ("slack_webhook_url", "webhook_url", "webhook_secret")
