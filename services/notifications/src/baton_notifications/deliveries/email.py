"""Email over SMTP (aiosmtplib), and the messages Baton sends."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
from baton_shared.events import OwnerAssigned

from baton_notifications.settings import Settings


def owner_assigned_message(event: OwnerAssigned, *, settings: Settings) -> EmailMessage:
    link = f"{settings.public_base_url.rstrip('/')}/v1/issues/{event.issue_id}/owner"
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = f"{event.owner.name} <{event.owner.email}>"
    msg["Subject"] = f"[Baton] You own issue {event.issue_id[:8]} for {event.department}"
    msg.set_content(
        f"Hello {event.owner.name},\n\n"
        f"You are now the accountable owner of issue {event.issue_id} "
        f"for the {event.department} department.\n"
        "Please acknowledge it and see it through to resolution, or hand it off "
        "explicitly if another department must fix it.\n\n"
        f"Issue: {link}\n\n"
        "-- Baton\n"
    )
    return msg


async def send_email(message: EmailMessage, *, settings: Settings) -> None:
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout_s,
    )
