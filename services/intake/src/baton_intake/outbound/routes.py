"""How intake reaches a reporter: by what the door took in (an address, the
thread), and by what is configured (a channel's connector).

A channel with a connector (``BATON_REPLY_CONNECTORS``) is answered through it,
on the same conversation or post; email, and any other channel whose reporter
gave an address, by email in the same thread; anyone else cannot be answered
by intake (an agent's customer known by an id, a caller with only a number)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from baton_intake.contacts.models import Contact
from baton_intake.settings import Settings

Route = Literal["email", "connector"]


class ReplyRoute(BaseModel):
    """What a door knows of how to answer (not part of the REST API)."""

    model_config = ConfigDict(extra="forbid")

    contact_id: str | None = None  # the reporter's contact: an address, a handle
    # The conversation or post to answer on; for email the reporter's Message-ID.
    thread: str | None = Field(default=None, max_length=2_000)
    # Why nothing may be sent automatically (a mailing list, a no-reply address).
    quiet_reason: str | None = None


def route_for(*, channel: str, contact: Contact | None, settings: Settings) -> Route | None:
    if channel != "email" and channel in settings.reply_connectors:
        return "connector"
    if contact is not None and contact.kind == "email":
        return "email"
    return None
