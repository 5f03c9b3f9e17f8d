"""What each person wants to be told, and where: their channels per kind of notice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, HttpUrl, SecretStr, StringConstraints, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from baton_notifications.sealing import Sealer, SealingError

# A plain check, not full RFC 5322: enough to catch a name typed in the wrong field.
EmailAddress = Annotated[
    str, StringConstraints(max_length=320, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
]
Channel = Literal["email", "slack", "webhook"]
Kind = Literal[
    "assigned",
    "handoff_requested",
    "handoff_accepted",
    "handoff_declined",
    "help_requested",
    "help_answered",
    "escalated",
    "deadline_near",
    "resolved",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
DEFAULT_CHANNELS: list[str] = ["email"]


class RecipientPreferences(SQLModel, table=True):
    __tablename__ = "recipient_preferences"

    person_id: str = Field(primary_key=True, max_length=128)
    # For people the catalog does not list (say, an employee who reported an issue).
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    # kind -> channels; a kind not listed goes by email.
    channels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The next three are sealed at rest (baton_notifications.sealing): read them
    # through a Sealer's open().
    slack_webhook_url: str | None = Field(default=None, sa_column=Column(Text))
    webhook_url: str | None = Field(default=None, sa_column=Column(Text))
    # Signs this person's generic webhooks; else the service-wide BATON_WEBHOOK_SECRET.
    webhook_secret: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


SEALED_FIELDS = ("slack_webhook_url", "webhook_url", "webhook_secret")


class PreferencesUpdate(BaseModel):
    # Only needed for someone the catalog does not list; the catalog's address wins.
    name: str | None = PydanticField(default=None, max_length=200)
    email: EmailAddress | None = None
    channels: dict[Kind, list[Channel]] = {}
    slack_webhook_url: HttpUrl | None = None
    webhook_url: HttpUrl | None = None
    webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _addresses_for_chosen_channels(self) -> PreferencesUpdate:
        chosen = {c for channels in self.channels.values() for c in channels}
        if "slack" in chosen and self.slack_webhook_url is None:
            raise ValueError("a kind goes to slack: give slack_webhook_url")
        if "webhook" in chosen and self.webhook_url is None:
            raise ValueError("a kind goes to webhook: give webhook_url")
        return self


def _host_only(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


UNREADABLE = "(sealed with a key no longer configured: set the URL again)"


def _shown(sealer: Sealer, stored: str | None) -> str | None:
    """A stored URL as shown: its host only, or a note if no key opens it."""
    try:
        return _host_only(sealer.open(stored))
    except SealingError:
        return UNREADABLE


class PreferencesPublic(BaseModel):
    person_id: str
    name: str | None
    email: str | None
    channels: dict[str, list[str]]  # every kind, with its channels (defaults filled in)
    # A webhook URL often carries a token (a Slack one is itself a credential):
    # only its host is shown.
    slack_webhook_url: str | None
    webhook_url: str | None
    webhook_secret_set: bool  # the secret itself is never shown

    @classmethod
    def of(
        cls, person_id: str, row: RecipientPreferences | None, sealer: Sealer
    ) -> PreferencesPublic:
        chosen = row.channels if row else {}
        return cls(
            person_id=person_id,
            name=row.name if row else None,
            email=row.email if row else None,
            channels={k: list(chosen.get(k, DEFAULT_CHANNELS)) for k in KINDS},
            slack_webhook_url=_shown(sealer, row.slack_webhook_url) if row else None,
            webhook_url=_shown(sealer, row.webhook_url) if row else None,
            webhook_secret_set=bool(row and row.webhook_secret),
        )
