"""Notices by email: plain text with an HTML alternative, written by the kernel's
``baton_runtime.mime`` and sent by its ``Mailer`` (``baton_runtime.smtp``), which
keeps its SMTP connections open and reuses them, at most
``BATON_SMTP_CONNECTIONS`` at once."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from baton_runtime import mime, smtp
from baton_runtime.smtp import Raw

from baton_notifications.settings import Settings


def mail(content: dict[str, Any], *, settings: Settings) -> Raw | EmailMessage:
    """The notice for the wire (``baton_runtime.mime.compose``): built with the
    standard library's compat32 MIME classes, or left to its ``EmailMessage``
    for an address that is not ASCII."""
    return mime.compose(
        mail_from=settings.mail_from,
        to=content["to"],
        subject=content["subject"],
        text=content["text"],
        html=content["html"],
        headers=_stamped(settings) | content.get("headers", {}),
    )


def _stamped(settings: Settings) -> dict[str, str]:
    """What every notice carries besides its content: when it was written, an id
    of its own (RFC 5322), and that a machine sent it (RFC 3834), so that
    out-of-office replies and other responders leave it alone."""
    sender = mime.sender_of(settings.mail_from)
    return {
        "Date": formatdate(usegmt=True),
        "Message-ID": make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        "Auto-Submitted": "auto-generated",
    }


class Mailer(smtp.Mailer):
    """The kernel's mailer (its connections kept open and reused), taking a
    notice's content: ``mail`` renders it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._settings = settings

    async def send(self, content: dict[str, Any]) -> None:
        await self.send_message(mail(content, settings=self._settings))


async def send(content: dict[str, Any], *, settings: Settings) -> None:
    """Send one message on a connection of its own (tools and tests)."""
    mailer = Mailer(settings)
    try:
        await mailer.send(content)
    finally:
        await mailer.close()
