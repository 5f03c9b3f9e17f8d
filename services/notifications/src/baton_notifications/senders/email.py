"""Email over SMTP (aiosmtplib): plain text with an HTML alternative."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import aiosmtplib

from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings


def message(content: dict[str, Any], *, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = content["to"]
    msg["Subject"] = content["subject"]
    msg.set_content(content["text"])
    msg.add_alternative(content["html"], subtype="html")
    return msg


async def send(content: dict[str, Any], *, settings: Settings) -> None:
    try:
        await aiosmtplib.send(
            message(content, settings=settings),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_s,
            cert_bundle=settings.smtp_ca_file,
        )
    except aiosmtplib.SMTPResponseException as exc:
        # 5xx: the server will refuse the same message again; 4xx: try later.
        raise DeliveryError(f"SMTP {exc.code} {exc.message}", permanent=exc.code >= 500) from exc
    except aiosmtplib.SMTPTimeoutError as exc:
        raise DeliveryError(f"SMTP timeout after {settings.smtp_timeout_s}s") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from exc
