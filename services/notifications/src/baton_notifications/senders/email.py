"""Email over SMTP (aiosmtplib): plain text with an HTML alternative.

A ``Mailer`` keeps its connections open and reuses them, at most
``BATON_SMTP_CONNECTIONS`` at once: a mail server takes many messages on one
connection, and opening one (TCP, EHLO, STARTTLS, login) costs more than sending.
"""

from __future__ import annotations

import asyncio
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
    for name, value in content.get("headers", {}).items():
        msg[name] = value
    msg.set_content(content["text"])
    msg.add_alternative(content["html"], subtype="html")
    return msg


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(settings.smtp_connections)

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_s,
            cert_bundle=s.smtp_ca_file,
        )

    async def send(self, content: dict[str, Any]) -> None:
        msg = message(content, settings=self._settings)
        async with self._slots:
            reused = self._idle.pop() if self._idle else None
            try:
                await self._send(reused, msg)
            except DeliveryError:
                raise
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
                if reused is None:
                    raise _error(exc, self._settings) from exc
                # The server closed an idle connection meanwhile: once more, on a new one.
                await self._send(None, msg)

    async def _send(self, smtp: aiosmtplib.SMTP | None, msg: EmailMessage) -> None:
        try:
            if smtp is None:
                smtp = self._client()
                await smtp.connect()
            await smtp.send_message(msg)
        except aiosmtplib.SMTPResponseException as exc:
            # Refused, but the connection is still good for the next message.
            if smtp is not None and smtp.is_connected:
                self._idle.append(smtp)
            raise _error(exc, self._settings) from exc
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
            if smtp is not None:
                smtp.close()
            raise
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if smtp is not None:
                smtp.close()
            raise _error(exc, self._settings) from exc
        except asyncio.CancelledError:
            # The dispatcher's per-send timeout: the conversation is cut mid-way.
            if smtp is not None:
                smtp.close()
            raise
        self._idle.append(smtp)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for smtp in idle:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


# What the common replies mean (RFC 5321, 3207, 4954), said in Baton's words.
_MEANING = {
    421: "server not available",
    450: "mailbox busy",
    451: "server error, try again later",
    452: "server out of storage",
    530: "STARTTLS or login required",
    535: "login refused",
    550: "mailbox unavailable",
    552: "message too large",
    553: "address not accepted",
    554: "transaction refused",
}


def _error(exc: BaseException, settings: Settings) -> DeliveryError:
    """In Baton's words: the server's own text may quote the message or the address."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # 5xx: the server will refuse the same message again; 4xx: try later.
        permanent = exc.code >= 500
        meaning = _MEANING.get(exc.code, "refused" if permanent else "try again later")
        return DeliveryError(f"SMTP answered {exc.code} ({meaning})", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return DeliveryError(f"SMTP timeout after {settings.smtp_timeout_s}s")
    return DeliveryError(f"SMTP {type(exc).__name__}")


async def send(content: dict[str, Any], *, settings: Settings) -> None:
    """Send one message on a connection of its own (tools and tests)."""
    mailer = Mailer(settings)
    try:
        await mailer.send(content)
    finally:
        await mailer.close()
