"""Mail for the wire, for every service that writes it: notifications' notices,
intake's answers to reporters. Plain text with an HTML alternative.

``compose`` builds it with the standard library's compat32 MIME classes: both
parts UTF-8 in base64, the name and subject words that are not ASCII RFC
2047-encoded, headers folded at 78, CRLF line ends, 7-bit throughout (no server
need take 8BITMIME or SMTPUTF8). The modern ``EmailMessage`` API parses and
refolds every header, which cost three times the CPU (``bench/smtp``). An
address that is not ASCII is left to it (``reference``), which knows SMTPUTF8;
``reference`` is also what ``compose`` is held to in tests
(``shared/runtime/tests/test_mime.py``): the same message, read back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.generator import Generator
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, Compat32
from email.utils import formataddr
from functools import lru_cache
from typing import Any

from baton_runtime.smtp import Raw


def compose(
    *,
    mail_from: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: Mapping[str, str] = {},
) -> Raw | EmailMessage:
    """The message from ``mail_from`` (``BATON_MAIL_FROM``: ``Name <address>``
    or an address) to ``to`` (``Name <address>``, the name unquoted and split at
    the last ``<``, or an address), with ``headers`` after Subject in their
    order: ready for ``sendmail`` (``Raw``), or an ``EmailMessage`` when an
    address, or a message id, is not ASCII (or an address is not plain: a
    space, a quote or a bracket in it). A line break in a name, the subject or
    a header's value does not start a header: the value is put on one line."""
    name, address = _name_and_address(to)
    sender, from_value = _from(mail_from)
    if (
        not (address.isascii() and sender.isascii())
        or _ODD_ADDRESS.search(address)
        or not all(v.isascii() for f, v in headers.items() if f.lower() in _IDS)
    ):
        return reference(
            mail_from=mail_from, to=to, subject=subject, text=text, html=html, headers=headers
        )
    # The boundary the generator would pick, picked here: it then need not search
    # the parts for it (a regular expression compiled per message). Both parts are
    # base64, which never holds "--", so no part can hold the boundary.
    msg = MIMEMultipart("alternative", boundary=Generator._make_boundary())
    msg["From"] = from_value
    msg["To"] = _mailbox(name, address)
    msg["Subject"] = _words("Subject", subject)
    for field, value in headers.items():
        # Message ids are never encoded words: a mail client would no longer match them.
        msg[field] = _one_line(value) if field.lower() in _IDS else _words(field, str(value))
    for subtype, body in (("plain", text), ("html", html)):
        msg.attach(MIMEText(_ending_in_a_line_break(body), subtype, "utf-8"))
    return Raw(sender, [address], msg.as_bytes(policy=_WIRE))


def reference(
    *,
    mail_from: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: Mapping[str, str] = {},
) -> EmailMessage:
    """The same message as the standard library's ``EmailMessage`` builds it."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = to
    msg["Subject"] = _one_line(subject)
    for field, value in headers.items():
        msg[field] = _one_line(value)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def _ending_in_a_line_break(text: str) -> str:
    """A text part in its canonical form (RFC 2046): every line ends in CRLF, the
    last one too, as ``set_content`` writes it (lines split at LF, CRLF and CR
    only, as it splits them)."""
    lines = text.encode().splitlines()
    return b"".join(line + b"\r\n" for line in lines).decode() if lines else "\r\n"


def _name_and_address(to: str) -> tuple[str, str]:
    """``Name <address>`` (the name unquoted: it may hold a comma, say
    ``O'Brien, Pat``, so it is split at the last ``<``, not parsed)."""
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


def sender_of(mail_from: str) -> str:
    """The envelope sender (the address) of ``BATON_MAIL_FROM``."""
    return _from(mail_from)[0]


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
# Headers that hold message ids (RFC 5322 3.6.4).
_IDS = frozenset({"message-id", "in-reply-to", "references"})
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
