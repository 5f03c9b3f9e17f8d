"""Email over SMTP (aiosmtplib): plain text with an HTML alternative.

A ``Mailer`` keeps its connections open and reuses them, at most
``BATON_SMTP_CONNECTIONS`` at once: a mail server takes many messages on one
connection, and opening one (TCP, EHLO, STARTTLS, login) costs more than sending.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from base64 import b64encode
from binascii import b2a_qp
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
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
    for name, value in content.get("headers", {}).items():
        msg[name] = value
    msg.set_content(content["text"])
    msg.add_alternative(content["html"], subtype="html")
    return msg


@dataclass(frozen=True)
class Mail:
    """A message ready for ``sendmail``: its envelope, and its bytes (7-bit)."""

    sender: str
    recipients: list[str]
    data: bytes


def mail(content: dict[str, Any], *, settings: Settings) -> Mail | EmailMessage:
    """The message, written directly: plain text with an HTML alternative, each
    part quoted-printable unless plain short ASCII lines, names and a subject that
    are not ASCII RFC 2047-encoded. The standard library's header parsing and
    refolding cost about as much CPU as the rest of a notice's handling; what
    Baton sends needs neither. An address that is not ASCII is left to the
    standard library (``message``), which knows SMTPUTF8."""
    name, address = _name_and_address(content["to"])
    sender, from_line = _from(settings.mail_from)
    if not (address.isascii() and sender.isascii()) or _ODD_ADDRESS.search(address):
        return message(content, settings=settings)
    boundary = "=_baton_" + secrets.token_hex(12)  # "=_" is never in quoted-printable
    head = [
        from_line,
        f"To: {_mailbox(name, address)}",
        _header("Subject", content["subject"]),
        *(_header(k, str(v)) for k, v in content.get("headers", {}).items()),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
    ]
    parts = [_part("plain", content["text"], boundary), _part("html", content["html"], boundary)]
    data = "\r\n".join(head) + "\r\n\r\n" + "".join(parts) + f"--{boundary}--\r\n"
    return Mail(sender, [address], data.encode("ascii"))


def _name_and_address(to: str) -> tuple[str, str]:
    """``content.build`` writes ``Name <address>`` (the name unquoted: it may hold
    a comma, say ``O'Brien, Pat``, so it is split at the last ``<``, not parsed)."""
    to = to.strip()
    if to.endswith(">") and "<" in to:
        cut = to.rindex("<")
        return to[:cut].strip(), to[cut + 1 : -1].strip()
    return "", to


@lru_cache(maxsize=8)
def _from(mail_from: str) -> tuple[str, str]:
    """(envelope sender, From line) for BATON_MAIL_FROM, parsed once."""
    header = SMTP.header_factory("From", mail_from)
    line = SMTP.fold("From", header).rstrip("\r\n")
    return header.addresses[0].addr_spec, line  # type: ignore[attr-defined]


# Never in an address Baton writes itself (the standard library says why, or sends it).
_ODD_ADDRESS = re.compile(r'[\s<>",\x00-\x1f\x7f]')


def _mailbox(name: str, address: str) -> str:
    name = " ".join(name.split())  # no line break gets into a header
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))  # quoted if it needs to be
    return "\r\n ".join([*_encoded_words(name), f"<{address}>"])


def _header(field: str, value: str) -> str:
    """A header line: on one line whatever the value held (no line break gets into
    a header); its words that are not ASCII RFC 2047-encoded (runs of them in the
    fewest encoded words), the others as they are; folded at 78 characters."""
    if _BREAKS.search(value):
        value = " ".join(value.split())
    atoms: list[str] = []
    run: list[str] = []
    for token in value.split(" "):
        if token.isascii() and "=?" not in token:  # "=?" would read as an encoded word
            if run:
                atoms += _encoded_words(" ".join(run))
                run = []
            atoms.append(token)
        else:
            run.append(token)
    if run:
        atoms += _encoded_words(" ".join(run))
    # Folded before the space between two atoms: unfolded, a space between plain
    # words stays as it was; between two encoded words of a run it is dropped.
    lines, line = [], f"{field}:"
    for atom in atoms:
        if len(line) + 1 + len(atom) > 78 and len(line) > len(field) + 1:
            lines.append(line)
            line = ""
        line += " " + atom
    return "\r\n".join([*lines, line])


_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_WORD_BYTES = 42  # base64: 56 characters, an encoded word of 68 on a line of 78 at most


def _encoded_words(value: str) -> list[str]:
    """``value`` as RFC 2047 encoded words (UTF-8, base64), cut between
    characters, never inside one."""
    raw, words, start = value.encode(), [], 0
    while start < len(raw):
        end = min(start + _WORD_BYTES, len(raw))
        while end < len(raw) and raw[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        words.append(f"=?utf-8?b?{b64encode(raw[start:end]).decode('ascii')}?=")
        start = end
    return words


def _part(subtype: str, text: str, boundary: str) -> str:
    """One part, ending in a line break as ``set_content`` makes it: 7bit if its
    lines are short ASCII, else quoted-printable (UTF-8)."""
    lines = text.encode().splitlines()  # at \n, \r\n and \r only, as the stdlib
    raw = b"\r\n".join(lines) + b"\r\n"
    if raw.isascii() and max(map(len, lines), default=0) <= 78 and boundary.encode() not in raw:
        cte, body = "7bit", raw.decode("ascii")
    else:
        cte, body = "quoted-printable", b2a_qp(raw, istext=True).decode("ascii")
    return (
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n"  # then the boundary's line break
    )


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
