"""Delivery status notifications (RFC 3464) for mail intake sent: which message
bounced, and whether for good. The email door never takes one in as an issue;
a permanent failure marks the contact it was sent to undeliverable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser

_MSGID = re.compile(r"<[^<>\s]+>")
_RETURNED = ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers")


@dataclass(frozen=True)
class Bounce:
    message_ids: tuple[str, ...]  # of the message that bounced, as far as the report says
    permanent: bool  # "Action: failed" (5.x.x), not a delay


def _returned_ids(part: Message) -> list[str]:
    """The Message-ID of the message a report returns (whole, or its headers)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the message itself
        headers: Message = payload[0] if payload else Message()
    else:
        text = part.get_content() if isinstance(part, EmailMessage) else str(payload)
        headers = HeaderParser().parsestr(text if isinstance(text, str) else "", headersonly=True)
    return _MSGID.findall(str(headers.get("Message-ID", "")))


def bounce_of(msg: EmailMessage) -> Bounce | None:
    """The report's findings, or None for mail that is no delivery report."""
    if msg.get_content_type() != "multipart/report":
        return None
    permanent = False
    found: list[str] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload() or []:
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                permanent |= action == "failed" or status.startswith("5.")
        elif kind in _RETURNED:
            found += _returned_ids(part)
    # Some servers only thread their report onto the message it is about.
    for header in ("In-Reply-To", "References"):
        found += _MSGID.findall(str(msg.get(header, "")))
    return Bounce(message_ids=tuple(dict.fromkeys(found)), permanent=permanent)
