"""Sending to a reporter: by email, threaded on their conversation, or through a
channel's connector (a signed webhook: chat, social, web forms).

Connector requests carry ``Baton-Signature: t=<unix seconds>,v1=<hex>``, hex =
HMAC-SHA256(the connector's secret, "<t>." + raw body): the scheme of
notifications' webhooks, so one verifier serves both. Errors say what failed,
never to whom (no address in a reason, a log or a span)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

import aiosmtplib
import httpx

from baton_intake.outbound.render import Letter
from baton_intake.settings import Connector, Settings

SIGNATURE = "Baton-Signature"


class SendError(Exception):
    """A send failed; ``permanent`` ones are not tried again."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def email_message(
    letter: Letter,
    *,
    settings: Settings,
    to: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
    auto_submitted: str | None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = formataddr(("", to))
    msg["Subject"] = letter.subject
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["Content-Language"] = letter.language
    if auto_submitted:
        # RFC 3834: sent by a machine, so no well-behaved responder answers it again.
        msg["Auto-Submitted"] = auto_submitted
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(letter.text)
    msg.add_alternative(letter.html, subtype="html")
    return msg


async def send_email(msg: EmailMessage, *, settings: Settings) -> None:
    try:
        await aiosmtplib.send(
            msg,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_s,
        )
    except aiosmtplib.SMTPResponseException as exc:
        raise SendError(f"SMTP {exc.code}", permanent=exc.code >= 500) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendError(f"SMTP {type(exc).__name__}") from None


def message_id_for(settings: Settings, token: str) -> str:
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "baton.invalid"
    return f"<baton.{token}@{domain}>"


def signature(raw: bytes, *, secret: str, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


async def post(connector: Connector, body: dict[str, Any], *, settings: Settings) -> None:
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "content-type": "application/json",
        SIGNATURE: signature(raw, secret=connector.secret.get_secret_value(), at=int(time.time())),
    }
    try:
        async with httpx.AsyncClient(timeout=settings.connector_timeout_s) as client:
            answer = await client.post(str(connector.url), content=raw, headers=headers)
    except httpx.HTTPError as exc:
        raise SendError(f"connector {type(exc).__name__}") from None
    if answer.status_code >= 300:
        permanent = 400 <= answer.status_code < 500 and answer.status_code not in (408, 429)
        raise SendError(f"connector answered {answer.status_code}", permanent=permanent)
