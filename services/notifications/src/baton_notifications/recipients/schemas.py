"""The preferences API's bodies: what a person sets, and what they are shown."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from baton_contracts import Calendar
from baton_runtime.workingtime import check_public_holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    HttpUrl,
    SecretStr,
    StringConstraints,
    model_validator,
)

from baton_notifications import zones
from baton_notifications.recipients.models import DEFAULT_CHANNELS, RecipientPreferences
from baton_notifications.sealer import Sealer, SealingError

# A plain check, not full RFC 5322: enough to catch a name typed in the wrong field.
EmailAddress = Annotated[
    str, StringConstraints(max_length=320, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
]
Channel = Literal["email", "slack", "webhook"]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(zones.valid)]
Language = Literal["en", "de"]
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
    "reporter_wrote",
    "reassigned",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


class PreferencesUpdate(BaseModel):
    # Only needed for someone the catalog does not list; the catalog's address wins.
    name: str | None = Field(default=None, max_length=200)
    email: EmailAddress | None = None
    channels: dict[Kind, list[Channel]] = {}
    slack_webhook_url: HttpUrl | None = None
    webhook_url: HttpUrl | None = None
    webhook_secret: SecretStr | None = None
    time_zone: TimeZone | None = Field(default=None, examples=["Europe/Berlin"])
    language: Language | None = None
    # Outside working hours, notices that are not urgent wait for the next working
    # period and go out together. False: everything goes out at once.
    quiet_hours: bool = True
    # Your own working hours (time zone, hours per weekday, holidays, closures);
    # None: your department's calendar, if it has one.
    working_hours: Calendar | None = None

    @model_validator(mode="after")
    def _addresses_for_chosen_channels(self) -> PreferencesUpdate:
        if self.working_hours is not None and self.working_hours.holidays is not None:
            check_public_holidays(self.working_hours.holidays)
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
    time_zone: str | None = None
    language: str | None = None
    quiet_hours: bool
    working_hours: Calendar | None  # your own, if you set them
    # Whose working hours apply: "own", "department:<name>", or null (around the
    # clock: nothing waits).
    working_hours_from: str | None = None

    @classmethod
    def of(
        cls,
        person_id: str,
        row: RecipientPreferences | None,
        sealer: Sealer,
        working_hours_from: str | None = None,
    ) -> PreferencesPublic:
        chosen = row.channels if row else {}
        return cls(
            quiet_hours=row.quiet_hours if row else True,
            working_hours=Calendar.model_validate(row.working_hours)
            if row and row.working_hours
            else None,
            working_hours_from=working_hours_from,
            person_id=person_id,
            name=row.name if row else None,
            email=row.email if row else None,
            channels={k: list(chosen.get(k, DEFAULT_CHANNELS)) for k in KINDS},
            slack_webhook_url=_shown(sealer, row.slack_webhook_url) if row else None,
            webhook_url=_shown(sealer, row.webhook_url) if row else None,
            webhook_secret_set=bool(row and row.webhook_secret),
            time_zone=row.time_zone if row else None,
            language=row.language if row else None,
        )
