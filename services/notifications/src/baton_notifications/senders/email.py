"""Email over SMTP (aiosmtplib): plain text with an HTML alternative.

A ``Mailer`` keeps its connections open and reuses them, at most
``BATON_SMTP_CONNECTIONS`` at once: a mail server takes many messages on one
connection, and opening one (TCP, EHLO, STARTTLS, login) costs more than sending.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.generator import Generator
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, Compat32
from email.utils import formataddr, formatdate, make_msgid
from functools import lru_cache
from typing import Any

import aiosmtplib

from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings


def message(content: dict[str, Any], *, settings: Settings) -> EmailMessage:
    """The message as the standard library builds it: what an address that is not
    ASCII (SMTPUTF8) takes, and the reference ``mail`` is held to in tests."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = content["to"]
    msg["Subject"] = content["subject"]
    for name, value in _stamped(settings).items():
        msg[name] = value
    for name, value in content.get("headers", {}).items():
        msg[name] = value
    msg.set_content(content["text"])
    msg.add_alternative(content["html"], subtype="html")
    return msg


def _stamped(settings: Settings) -> dict[str, str]:
    """What every notice carries besides its content: when it was written, an id
    of its own (RFC 5322), and that a machine sent it (RFC 3834), so that
    out-of-office replies and other responders leave it alone."""
    sender = _from(settings.mail_from)[0]
    return {
        "Date": formatdate(usegmt=True),
        "Message-ID": make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        "Auto-Submitted": "auto-generated",
    }


@dataclass(frozen=True)
class Mail:
    """A message ready for ``sendmail``: its envelope, and its bytes (7-bit)."""

    sender: str
    recipients: list[str]
    data: bytes


def mail(content: dict[str, Any], *, settings: Settings) -> Mail | EmailMessage:
    """The message, built with the standard library's compat32 MIME classes:
    plain text with an HTML alternative (UTF-8, base64), the name and subject
    words that are not ASCII RFC 2047-encoded, folded at 78. The modern
    ``EmailMessage`` API parses and refolds every header, which cost three times
    the CPU and about as much as the rest of a notice's handling. An address
    that is not ASCII is left to it (``message``), which knows SMTPUTF8."""
    name, address = _name_and_address(content["to"])
    sender, from_value = _from(settings.mail_from)
    if not (address.isascii() and sender.isascii()) or _ODD_ADDRESS.search(address):
        return message(content, settings=settings)
    # The boundary the generator would pick, picked here: it then need not search
    # the parts for it (a regular expression compiled per message). Both parts are
    # base64, which never holds "--", so no part can hold the boundary.
    msg = MIMEMultipart("alternative", boundary=Generator._make_boundary())
    msg["From"] = from_value
    msg["To"] = _mailbox(name, address)
    msg["Subject"] = _words("Subject", content["subject"])
    for field, value in _stamped(settings).items():
        msg[field] = value
    for field, value in content.get("headers", {}).items():
        msg[field] = _words(field, str(value))
    for subtype in ("plain", "html"):
        msg.attach(MIMEText(_ending_in_a_line_break(content[_PART[subtype]]), subtype, "utf-8"))
    return Mail(sender, [address], msg.as_bytes(policy=_WIRE))


_PART = {"plain": "text", "html": "html"}


def _ending_in_a_line_break(text: str) -> str:
    """A text part in its canonical form (RFC 2046): every line ends in CRLF, the
    last one too, as ``set_content`` writes it (lines split at LF, CRLF and CR
    only, as it splits them)."""
    lines = text.encode().splitlines()
    return b"".join(line + b"\r\n" for line in lines).decode() if lines else "\r\n"


def _name_and_address(to: str) -> tuple[str, str]:
    """``content.build`` writes ``Name <address>`` (the name unquoted: it may hold
    a comma, say ``O'Brien, Pat``, so it is split at the last ``<``, not parsed)."""
    to = to.strip()
    if to.endswith(">") and "<" in to:
        cut = to.rindex("<")
        return to[:cut].strip(), to[cut + 1 : -1].strip()
    return "", to


@lru_cache(maxsize=8)
def _from(mail_from: str) -> tuple[str, Header | str]:
    """(envelope sender, From header) for BATON_MAIL_FROM, parsed once."""
    header = SMTP.header_factory("From", mail_from)
    mailbox = header.addresses[0]  # type: ignore[attr-defined]
    return mailbox.addr_spec, _mailbox(mailbox.display_name, mailbox.addr_spec, "From")


class _Wire(Compat32):
    """compat32 for SMTP: CRLF line ends, lines of at most 78 characters. A header
    whose value is plain ASCII and fits on its line is written as it is, which is
    what compat32's ``Header`` folding makes of it (tests compare the two), at a
    tenth of the CPU; any other goes through that folding."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + 2 + len(value) <= (self.max_line_length or 78)
            and _PLAIN.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# A value folding leaves as it is: printable ASCII (no control character, no
# tab), neither starting nor ending in a space.
_PLAIN = re.compile(r"[!-~](?:[ -~]*[!-~])?")
_WIRE = _Wire(linesep="\r\n", max_line_length=78)
# Never in an address Baton writes itself (the standard library says why, or sends it).
_ODD_ADDRESS = re.compile(r'[\s<>",\x00-\x1f\x7f]')
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def _one_line(value: str) -> str:
    """No line break gets into a header: a name or subject holding one is one line."""
    return " ".join(value.split()) if _BREAKS.search(value) else value


def _mailbox(name: str, address: str, field: str = "To") -> Header | str:
    """``Name <address>``: the name quoted if it needs to be, or RFC 2047-encoded
    (and folded) if it is not ASCII; on one line whatever it held."""
    name = " ".join(name.split())
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    mailbox = Header(name, "utf-8", header_name=field)
    mailbox.append(f"<{address}>", "us-ascii")
    return mailbox


def _words(field: str, value: str) -> Header | str:
    """A header's value on one line; RFC 2047-encoded (UTF-8) and folded by the
    standard library if it is not ASCII."""
    value = _one_line(value)
    if value.isascii() and "=?" not in value:  # "=?" would read as an encoded word
        return value
    return Header(value, "utf-8", header_name=field)  # its name counts on the first line


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
        msg = mail(content, settings=self._settings)
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

    async def _send(self, smtp: aiosmtplib.SMTP | None, msg: Mail | EmailMessage) -> None:
        try:
            if smtp is None:
                smtp = self._client()
                await smtp.connect()
            if isinstance(msg, Mail):
                await smtp.sendmail(msg.sender, msg.recipients, msg.data)
            else:
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
