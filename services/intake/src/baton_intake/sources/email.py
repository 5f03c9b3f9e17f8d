"""Email: a raw RFC 5322 message, as an inbound-mail webhook or an MTA pipe
delivers it (``POST /v1/channels/email``, ``message/rfc822``).

- The text comes from text/plain, or from text/html made safe, whatever the
  transfer encoding (quoted-printable, base64) or charset.
- Attachments: name, type and size only.
- A reply (In-Reply-To/References, or the issue's reference token in the
  subject) updates the issue it answers: ``IssueUpdated``.
- Auto-replies, bounces, ``Auto-Submitted`` and ``Precedence: bulk`` mail is
  recorded and ignored, so no mail loop can start. A bounce of mail intake sent
  a reporter marks their address undeliverable (``outbound``).
- A reply to a message intake sent a reporter (its Message-ID) updates that issue;
  mail from a list or a no-reply address is taken in but never acknowledged.
- The sender's address is kept as a contact; events carry the contact's id.
- Mail from an internal domain is an employee's only when the mail gateway
  vouches for the sender (``mail_auth``); a forged one is a customer's report.
- Caps (header fields, MIME parts, text length) hold before any text is made
  of the mail, and parsing runs in a worker thread: a megabyte of HTML takes
  the event loop from nobody.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from baton_contracts import Attachment
from baton_runtime.problems import Problem
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.contacts.service import reporter_id_for
from baton_intake.issues import service
from baton_intake.issues.schemas import Draft, IssueAccepted, ReporterIn
from baton_intake.outbound import bounces, guards
from baton_intake.outbound import service as outbound
from baton_intake.outbound.routes import ReplyRoute
from baton_intake.settings import Settings
from baton_intake.sources import mail_auth
from baton_intake.sources.common import NO_SUBJECT, clip, opaque_ref
from baton_intake.sources.models import IgnoredMail
from baton_intake.text import find_reference, one_line, safe_text, strip_reply_prefix

SOURCE = "email"
_MSGID = re.compile(r"<[^<>\s]+>")
_WROTE = re.compile(r"^\s*(On|Am|Le|El)\b.{0,200}(wrote|schrieb|a écrit|escribió)\s*:\s*$")
_BULK = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon"}
_END_OF_HEADER = re.compile(rb"\r?\n\r?\n")
# A header longer than this is clipped before it is made plain text.
_HEADER_CHARS = 2_000
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")


@dataclass
class Mail:
    message_id: str | None
    refers_to: list[str]
    sender: str
    subject: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    automated: str | None = None
    # The mail gateway vouched that the sender's domain sent it (mail_auth).
    vouched: bool = False
    # Why it must not be acknowledged (a list, a no-reply sender); what a bounce says.
    quiet: str | None = None
    bounce: bounces.Bounce | None = None
    language: str | None = None  # Content-Language, if the sender's client said


async def read(raw: bytes, settings: Settings) -> Mail:
    """``parse`` in a worker thread: the event loop keeps serving meanwhile."""
    return await asyncio.to_thread(parse, raw, settings)


def parse(raw: bytes, settings: Settings) -> Mail:
    _check_header_count(raw, settings)
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    _check_parts(msg, settings)
    sender = parseaddr(str(msg.get("From", ""))[:_HEADER_CHARS])[1]
    if "@" not in sender:
        raise Problem(
            422, "Not an email this door can take: it needs a From address.", title="Invalid email"
        )
    return Mail(
        message_id=_first_id(msg.get("Message-ID")),
        refers_to=_ids(msg.get("In-Reply-To")) + _ids(msg.get("References")),
        sender=sender,
        subject=str(msg.get("Subject", "") or "")[:_HEADER_CHARS],
        text=_text(msg, settings.email_max_text_chars),
        attachments=_attachments(msg),
        automated=automated(msg, sender),
        vouched=mail_auth.vouched_for(
            msg.get_all("Authentication-Results", []),
            domain=sender.rsplit("@", 1)[-1],
            trusted_ids=settings.trusted_authserv_ids,
        ),
        quiet=guards.quiet_reason(msg.get, sender),
        bounce=bounces.bounce_of(msg),
        language=str(msg.get("Content-Language", "") or "").split(",")[0].strip() or None,
    )


def _too_big(what: str, cap: int) -> Problem:
    return Problem(422, f"The mail has more {what} than the {cap} taken.", title="Mail too large")


def _check_header_count(raw: bytes, settings: Settings) -> None:
    """Counted in the raw bytes, before the parser builds anything of them."""
    head = _END_OF_HEADER.split(raw, maxsplit=1)[0]
    fields = sum(1 for line in head.splitlines() if line[:1] not in (b" ", b"\t", b""))
    if fields > settings.email_max_headers:
        raise _too_big("header fields", settings.email_max_headers)


def _check_parts(msg: EmailMessage, settings: Settings) -> None:
    parts = fields = 0
    for part in msg.walk():
        parts += 1
        fields += len(part)
        if parts > settings.email_max_parts:
            raise _too_big("MIME parts", settings.email_max_parts)
        if fields > settings.email_max_headers:
            raise _too_big("header fields", settings.email_max_headers)


def automated(msg: EmailMessage, sender: str) -> str | None:
    """Why this mail was sent by a machine (so answering it could loop), or None."""
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if msg.get(header) is not None:
            return header
    if msg.get_content_type() == "multipart/report":
        return "delivery report (bounce)"
    if sender.split("@")[0].lower() in _DAEMONS:
        return "from a mailer daemon (bounce)"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "null return path (bounce)"
    return None


def _ids(value: object) -> list[str]:
    return _MSGID.findall(str(value or ""))


def _first_id(value: object) -> str | None:
    found = _ids(value)
    return found[0] if found else None


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset: keep what can be read.
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _text(msg: EmailMessage, max_chars: int) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _decoded(body)
    if len(text) > max_chars:
        # Cut before making it plain: the sanitiser's work is bounded by the cap.
        text = text[:max_chars]
        tag_opened = text.rfind("<")
        if tag_opened > text.rfind(">"):
            text = text[:tag_opened]  # no half tag left to read as text
    return safe_text(text)  # HTML becomes its visible text here


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        found.append(
            Attachment(
                name=one_line((part.get_filename() or "")[:_HEADER_CHARS])[:200] or "unnamed",
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
            )
        )
    return found


def without_quote(text: str) -> str:
    """A reply's own words: quoted lines and the quoted message below "On … wrote:" go."""
    kept = []
    for line in text.splitlines():
        if _WROTE.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip() or text


def is_internal(mail: Mail, settings: Settings) -> bool:
    """From an internal domain, and the gateway vouched for it (or the operator
    switched that check off)."""
    domain = mail.sender.rsplit("@", 1)[-1].lower()
    if domain not in {d.lower() for d in settings.internal_email_domains}:
        return False
    return mail.vouched or not settings.internal_email_require_authentication


async def take_in(
    *, session: AsyncSession, settings: Settings, mail: Mail
) -> service.Taken | IssueAccepted:
    if mail.automated:
        session.add(IgnoredMail(message_id=mail.message_id, reason=mail.automated))
        if mail.bounce is not None:  # about mail intake sent? then that address is dead
            await outbound.bounced(session, mail.bounce)
        return IssueAccepted(
            issue_id=None, status_url=None, outcome="ignored", reason=mail.automated
        )

    if mail.message_id:
        seen = await service.find_thread(
            session=session, source_system=SOURCE, refs=[mail.message_id]
        )
        if seen is not None:  # the same mail delivered again
            issue = await service.get(session=session, issue_id=seen.issue_id)
            assert issue is not None
            return service.Taken(issue, "existing")

    answered = await service.find_thread(session=session, source_system=SOURCE, refs=mail.refers_to)
    issue_id = answered.issue_id if answered else None
    # An answer to what intake sent the reporter (an acknowledgement, a reply).
    issue_id = issue_id or await outbound.issue_answered(session, message_ids=mail.refers_to)
    issue = await service.get(session=session, issue_id=issue_id) if issue_id else None
    if issue is None and (reference := find_reference(mail.subject)):
        issue = await service.find_by_reference(session=session, reference=reference)
    if issue is not None:
        return await service.update(
            session=session,
            settings=settings,
            issue=issue,
            channel="email",
            text=clip(without_quote(mail.text) or "(no text)", 20_000),
            attachments=mail.attachments,
            thread_refs=[mail.message_id] if mail.message_id else [],
        )

    internal = is_internal(mail, settings)
    reporter = await reporter_id_for(session=session, kind="email", value=mail.sender)
    draft = Draft(
        channel="email",
        source_system=SOURCE,
        reporter=ReporterIn(kind="employee" if internal else "customer", id=reporter),
        subject=clip(one_line(strip_reply_prefix(mail.subject)) or NO_SUBJECT, 200),
        description=clip(mail.text or "(no text)", 20_000),
        external_ref=opaque_ref(mail.message_id, "mid") if mail.message_id else None,
        attachments=mail.attachments,
        thread_refs=[mail.message_id] if mail.message_id else [],
        language=mail.language if mail.language and _TAG.match(mail.language) else None,
        reply=ReplyRoute(contact_id=reporter, thread=mail.message_id, quiet_reason=mail.quiet),
    )
    return await service.report(session=session, settings=settings, draft=draft)
