"""Mail out over SMTP (aiosmtplib), for every service that sends it: intake's
answers to reporters, notifications' notices.

A ``Mailer`` keeps its connections open and reuses them, at most
``BATON_SMTP_CONNECTIONS`` at once: a mail server takes many messages on one
connection, and opening one (TCP, EHLO, STARTTLS, login) costs more than
sending. A connection the server closed while it was idle is replaced, and the
message goes on the new one. A failure is a ``SendFailed`` in Baton's words
(the server's own text may quote the message or the address), permanent for a
5xx answer: the same message would be refused again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSettings(BaseSettings):
    """``BATON_SMTP_*``: part of the settings of a service that sends mail."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # Each SMTP command's timeout (connecting, STARTTLS, login, sending).
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    # SMTP connections kept open and reused, at most this many at once.
    smtp_connections: int = Field(default=4, ge=1)
    # A CA bundle (PEM) to trust for STARTTLS, say a private CA; else the system's.
    smtp_ca_file: str | None = None


class SendFailed(Exception):
    """A send failed (by SMTP here; the services' webhooks and connectors report
    theirs the same way). ``permanent`` ones are not tried again: the same
    message would fail the same way."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Raw:
    """A message ready for ``sendmail``: its envelope, and its bytes (7-bit)."""

    sender: str
    recipients: list[str]
    data: bytes


class Mailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._smtp = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(settings.smtp_connections)

    def _client(self) -> aiosmtplib.SMTP:
        s = self._smtp
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_s,
            cert_bundle=s.smtp_ca_file,
        )

    async def send_message(self, msg: Raw | EmailMessage) -> None:
        """Send ``msg`` on an idle connection, or a new one; ``SendFailed`` if it
        does not go."""
        async with self._slots:
            reused = self._idle.pop() if self._idle else None
            try:
                await self._send(reused, msg)
            except SendFailed:
                raise
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
                if reused is None:
                    raise _failed(exc, self._smtp) from exc
                # The server closed an idle connection meanwhile: once more, on a new one.
                await self._send(None, msg)

    async def _send(self, smtp: aiosmtplib.SMTP | None, msg: Raw | EmailMessage) -> None:
        try:
            if smtp is None:
                smtp = self._client()
                await smtp.connect()
            if isinstance(msg, Raw):
                await smtp.sendmail(msg.sender, msg.recipients, msg.data)
            else:
                await smtp.send_message(msg)
        except aiosmtplib.SMTPResponseException as exc:
            # Refused, but the connection is still good for the next message.
            if smtp is not None and smtp.is_connected:
                self._idle.append(smtp)
            raise _failed(exc, self._smtp) from exc
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
            if smtp is not None:
                smtp.close()
            raise
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if smtp is not None:
                smtp.close()
            raise _failed(exc, self._smtp) from exc
        except asyncio.CancelledError:
            # A caller's timeout: the conversation is cut mid-way.
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


def _failed(exc: BaseException, settings: SmtpSettings) -> SendFailed:
    """In Baton's words: the server's own text may quote the message or the address."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # 5xx: the server will refuse the same message again; 4xx: try later.
        permanent = exc.code >= 500
        meaning = _MEANING.get(exc.code, "refused" if permanent else "try again later")
        return SendFailed(f"SMTP answered {exc.code} ({meaning})", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return SendFailed(f"SMTP timeout after {settings.smtp_timeout_s}s")
    return SendFailed(f"SMTP {type(exc).__name__}")
