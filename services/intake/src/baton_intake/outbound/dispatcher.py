"""Sending what is due to reporters, in every replica at once and each message
once: due rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased, each is
rendered from its conversation as it now is and sent, and its outcome recorded:
sent, tried again later (exponential backoff), failed, or skipped with the
reason (the contact became undeliverable, no route is left)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from baton_runtime.db import Database
from baton_runtime.kafka.tracing import context_from_carrier
from baton_runtime.links import sign
from baton_runtime.smtp import Mailer, SendFailed
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake import metrics
from baton_intake.contacts import service as contacts
from baton_intake.outbound import render, senders
from baton_intake.outbound.models import Conversation, ReporterMessage, utcnow
from baton_intake.outbound.routes import route_for
from baton_intake.settings import Settings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("baton.intake")
RATE = "rate"  # the purpose of a rating link's token
# What each kind says in Auto-Submitted (RFC 3834); a person's reply says nothing.
AUTOMATIC = {"acknowledged": "auto-replied", "reassigned": "auto-generated",
             "resolved": "auto-generated"}  # fmt: skip


@dataclass(frozen=True)
class Parcel:
    """One message, ready to go: where, and what."""

    row_id: int
    issue_id: str
    trace_context: dict[str, Any]
    message_id: str
    kind: str
    route: str
    send: Callable[[], Any]  # the coroutine function that sends it


def rating_link(settings: Settings, issue_id: str) -> str | None:
    key = settings.link_signing_key.get_secret_value()
    if not key:
        return None
    token = sign({"issue_id": issue_id}, key=key, purpose=RATE,
                 ttl_s=settings.rating_link_days * 86_400)  # fmt: skip
    return f"{settings.public_url.rstrip('/')}/links/rate/{token}"


async def _parcel(
    session: AsyncSession, settings: Settings, row: ReporterMessage, mailer: Mailer
) -> Parcel | str:
    """What to send for ``row``, or why nothing can be."""
    conversation = await session.get(Conversation, row.issue_id)
    if conversation is None:
        return "the conversation is gone"
    contact = await contacts.get(session=session, contact_id=conversation.contact_id)
    route = route_for(channel=conversation.channel, contact=contact, settings=settings)
    if route is None:
        return "no way to reach the reporter"
    if route == "email" and contact is not None and contact.undeliverable_at is not None:
        return "the address is undeliverable (a delivery report said so)"
    letter = render.letter(
        row.kind, language=conversation.language, reference=conversation.reference,
        subject=conversation.subject, zone=settings.zone, signature=settings.signature,
        route=route, internal=conversation.reporter_kind == "employee",
        department=conversation.department, owner_name=conversation.owner_name,
        due_at=conversation.resolve_due_at, body=row.body,
        rating_link=rating_link(settings, row.issue_id) if row.kind == "resolved" else None,
    )  # fmt: skip
    assert row.id is not None
    if route == "connector":
        body = {
            "message_id": row.message_id, "issue_id": row.issue_id,
            "reference": conversation.reference, "kind": row.kind, "language": letter.language,
            "channel": conversation.channel, "conversation": conversation.thread,
            "recipient": {"kind": contact.kind, "value": contact.value} if contact else None,
            "subject": letter.subject, "text": letter.text, "html": letter.html,
        }  # fmt: skip
        connector = settings.reply_connectors[conversation.channel]
        return Parcel(row.id, row.issue_id, row.trace_context, row.message_id, row.kind, route,
                      lambda: senders.post(connector, body, settings=settings))  # fmt: skip
    assert contact is not None
    # The reporter's first mail and the latest in the thread; a chat's or a form's
    # reporter answered by email has only the messages intake sent.
    first = conversation.thread if conversation.channel == "email" else None
    references = [r for r in dict.fromkeys((first, conversation.last_message_id)) if r]
    to, message_id, in_reply_to = contact.value, row.message_id, conversation.last_message_id
    automatic = AUTOMATIC.get(row.kind)

    async def send() -> None:
        # Written as it is sent, after the batch's claim committed: a message that
        # cannot be written fails on its own, for good (the same would fail again),
        # not the whole batch.
        try:
            msg = senders.email_message(
                letter, settings=settings, to=to, message_id=message_id,
                in_reply_to=in_reply_to, references=references, auto_submitted=automatic,
            )  # fmt: skip
        except (ValueError, UnicodeError) as exc:  # no message: it may quote the address
            reason = f"the mail could not be written ({type(exc).__name__})"
            raise SendFailed(reason, permanent=True) from exc
        await mailer.send_message(msg)

    return Parcel(row.id, row.issue_id, row.trace_context, row.message_id, row.kind, route, send)


async def send_due(
    *,
    db: Database,
    settings: Settings,
    mailer: Mailer | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Send what is due now; returns how many were tried (a full batch: call again).
    Mail goes through ``mailer``, whose connections stay open for the next call
    (the service keeps one); without one, through a mailer of this call's own."""
    if mailer is None:
        mailer = Mailer(settings)
        try:
            return await send_due(db=db, settings=settings, mailer=mailer, clock=clock)
        finally:
            await mailer.close()
    now = clock()
    ready: list[Parcel] = []
    async with db.transaction() as session:
        due = (
            await session.exec(
                select(ReporterMessage)
                .where(
                    col(ReporterMessage.status).in_(("pending", "waiting")),
                    col(ReporterMessage.next_attempt_at) <= now,
                )
                .order_by(col(ReporterMessage.next_attempt_at))
                .limit(settings.reply_batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in due:
            parcel = await _parcel(session, settings, row, mailer)
            if isinstance(parcel, str):
                row.status, row.reason, row.finished_at = "skipped", parcel, now
                metrics.count_reporter_message(row.kind, route="none", outcome="skipped")
            else:
                row.status, row.route, row.attempts = "pending", parcel.route, row.attempts + 1
                row.next_attempt_at = now + timedelta(seconds=settings.reply_lease_s)
                ready.append(parcel)
            session.add(row)
    for parcel in ready:
        await _send(db, settings, parcel, clock)
    return len(due)


async def _send(
    db: Database, settings: Settings, parcel: Parcel, clock: Callable[[], datetime]
) -> None:
    with tracer.start_as_current_span(
        "answer reporter",
        context=context_from_carrier(parcel.trace_context),  # in the issue's trace
        kind=SpanKind.CLIENT,
        attributes={
            "baton.issue_id": parcel.issue_id,
            "baton.kind": parcel.kind,
            "baton.route": parcel.route,
        },
    ) as span:
        try:
            await parcel.send()
            error: SendFailed | None = None
        except SendFailed as exc:
            error = exc
        except Exception as exc:  # no traceback: it may name the address
            log.error("reporter message %s: unexpected %s", parcel.row_id, type(exc).__name__)
            error = SendFailed(f"unexpected {type(exc).__name__}")
        now = clock()
        async with db.transaction() as session:
            row = await session.get(ReporterMessage, parcel.row_id)
            assert row is not None
            if error is None:
                row.status, row.sent_at, row.finished_at, row.reason = "sent", now, now, None
                if parcel.route == "email":  # later messages answer this one
                    await _threaded_on(session, parcel)
            elif error.permanent or row.attempts >= settings.reply_max_attempts:
                row.status, row.reason, row.finished_at = "failed", error.reason, now
            else:
                backoff = settings.reply_backoff_base_s * 2 ** (row.attempts - 1)
                row.reason, row.next_attempt_at = error.reason, now + timedelta(seconds=backoff)
            session.add(row)
            span.set_attribute("baton.outcome", row.status)
        metrics.count_reporter_message(parcel.kind, route=parcel.route, outcome=row.status)


async def _threaded_on(session: AsyncSession, parcel: Parcel) -> None:
    conversation = await session.get(Conversation, parcel.issue_id)
    if conversation is not None:
        conversation.last_message_id = parcel.message_id
        session.add(conversation)
