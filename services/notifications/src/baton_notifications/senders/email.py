"""Notices by email: plain text with an HTML alternative, sent by the kernel's
``Mailer`` (``baton_runtime.smtp``), which keeps its SMTP connections open and
reuses them, at most ``BATON_SMTP_CONNECTIONS`` at once."""

from __future__ import annotations

import re
from email.generator import Generator
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, Compat32
from email.utils import formataddr, formatdate, make_msgid
from functools import lru_cache
from typing import Any

from baton_runtime import smtp
from baton_runtime.smtp import Raw

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


def mail(content: dict[str, Any], *, settings: Settings) -> Raw | EmailMessage:
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
    return Raw(sender, [address], msg.as_bytes(policy=_WIRE))


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
