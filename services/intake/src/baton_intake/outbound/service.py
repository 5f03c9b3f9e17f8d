"""Which messages reporters get, and when: recorded in the transaction of what
caused them (a report taken in, an ownership event), sent by the dispatcher.

- Acknowledgement: on receipt, but it waits (``BATON_ACKNOWLEDGEMENT_WAIT_S``)
  for ownership to name the department and its deadline, so that it can say
  what happens next; the first ``OwnerAssigned`` sends it at once.
- Changed hands: an internal customer hears when another owner takes over.
- Reply: what the owner wrote (``ReplyPosted``), on the same channel and thread.
- Resolution: with the rating link.
Guards (``guards``) hold back what must not be sent, and say why."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from baton_contracts import IssueResolved, OwnerAssigned, ReplyPosted
from baton_runtime import rows
from baton_runtime.kafka.tracing import carrier_from_current
from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    update,
)
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.contacts import service as contacts
from baton_intake.outbound import guards
from baton_intake.outbound.bounces import Bounce
from baton_intake.outbound.models import Conversation, ReporterMessage, utcnow
from baton_intake.outbound.routes import ReplyRoute, route_for
from baton_intake.outbound.senders import message_id_for
from baton_intake.settings import Settings

TAKE_IN = "take-in"
_OPEN = insert(Conversation.__table__)


async def open_conversation(
    session: AsyncSession,
    settings: Settings,
    *,
    issue_id: str,
    reference: str,
    subject: str,
    channel: str,
    reporter_kind: str,
    reporter_id: str,
    language: str,
    route: ReplyRoute | None,
    now: datetime | None = None,
) -> bool:
    """Remember how to answer the issue's reporter and stage the acknowledgement;
    True when intake can answer them at all (``Reporter.reachable``)."""
    now = now or utcnow()
    route = route or ReplyRoute()
    contact = await contacts.get(session=session, contact_id=route.contact_id)
    # Known before the row is added, so that it is one INSERT, not an INSERT and an UPDATE.
    reachable = route_for(channel=channel, contact=contact, settings=settings) is not None
    # One INSERT built once, with every column (no ORM object, no flush of one).
    await rows.rowcount(session, _OPEN, {
        "issue_id": issue_id, "reference": reference, "subject": subject, "language": language,
        "channel": channel, "reporter_kind": reporter_kind, "contact_id": route.contact_id,
        "thread": route.thread, "last_message_id": route.thread if channel == "email" else None,
        "quiet_reason": route.quiet_reason, "opened_at": now, "reachable": reachable,
        "department": None, "owner_name": None, "resolve_due_at": None,
    })  # fmt: skip
    if not reachable:
        return False
    key = route.contact_id or reporter_id
    held = route.quiet_reason
    if held is None and await guards.flooded(
        session, reporter_key=key, now=now, limit=settings.acknowledgements_per_hour
    ):
        held = f"more than {settings.acknowledgements_per_hour} acknowledgements in an hour"
    wait = timedelta(seconds=settings.acknowledgement_wait_s)
    _stage(session, settings, issue_id, "acknowledged", cause=TAKE_IN, reporter_key=key,
           now=now, held=held, waiting_until=now + wait)  # fmt: skip
    return True


def _stage(
    session: AsyncSession,
    settings: Settings,
    issue_id: str,
    kind: str,
    *,
    cause: str,
    reporter_key: str,
    now: datetime,
    body: dict[str, Any] | None = None,
    held: str | None = None,
    waiting_until: datetime | None = None,
) -> None:
    message = ReporterMessage(
        issue_id=issue_id, kind=kind, cause=cause[:64], reporter_key=reporter_key,
        message_id=message_id_for(settings, uuid.uuid4().hex), body=body or {}, created_at=now,
        trace_context=carrier_from_current(),
    )  # fmt: skip
    if held is not None:
        message.status, message.reason, message.finished_at = "skipped", held, now
    elif waiting_until is not None:
        message.status, message.next_attempt_at = "waiting", waiting_until
    else:
        message.status, message.next_attempt_at = "pending", now
    session.add(message)


# The ownership events a reporter hears of (``on_owner_assigned``, ``on_ownership``).
ANSWERED = (OwnerAssigned, ReplyPosted, IssueResolved)

_CONVERSATIONS = Conversation.__table__
_MESSAGES = ReporterMessage.__table__


def _assign(which: ColumnElement[bool]) -> Update:
    """``OwnerAssigned`` on the conversations ``which`` picks: the department for
    every one (who may read the issue depends on it), the owner and the deadline
    for those whose reporter can be answered (what their messages say)."""
    c = _CONVERSATIONS.c
    due = bindparam("resolve_due_at", type_=c.resolve_due_at.type)
    return (
        update(_CONVERSATIONS)
        .where(c.issue_id == bindparam("conversation"), which)
        .values(
            department=bindparam("department", type_=String),
            owner_name=case((c.reachable, bindparam("owner", type_=String)), else_=c.owner_name),
            resolve_due_at=case(
                (c.reachable, func.coalesce(due, c.resolve_due_at)), else_=c.resolve_due_at
            ),
        )
        .returning(c.reachable, c.reporter_kind, c.contact_id)
    )


# A conversation whose department changes (a reporter intake cannot answer, or one
# that had a department: a reassignment), and one that learns its first.
_ASSIGN_AGAIN = _assign(or_(~_CONVERSATIONS.c.reachable, _CONVERSATIONS.c.department.is_not(None)))
_ASSIGN_FIRST = _assign(and_(_CONVERSATIONS.c.reachable, _CONVERSATIONS.c.department.is_(None)))
_RELEASE = (
    update(_MESSAGES)
    .where(
        _MESSAGES.c.issue_id == bindparam("conversation"),
        _MESSAGES.c.kind == "acknowledged",
        _MESSAGES.c.status == "waiting",
    )
    .values(
        status="pending", next_attempt_at=bindparam("now", type_=_MESSAGES.c.next_attempt_at.type)
    )
)


async def on_owner_assigned(
    session: AsyncSession, settings: Settings, event: OwnerAssigned, *, cause: str
) -> bool:
    """Keep who holds the issue in its conversation and stage what the reporter must
    hear of it: the first assignment releases the waiting acknowledgement, a later
    one tells an internal customer. True if anything is due.

    Usually one UPDATE, and no read: which case it is depends on the row's department
    before the change, so the UPDATE for a reassignment (or for a reporter intake
    cannot answer at all) is tried first, and matching no row says that this is the
    first assignment (or that there is no conversation: taken in elsewhere)."""
    params = {
        "conversation": event.issue_id,
        "department": event.department,
        "owner": event.owner.name,
        "resolve_due_at": event.resolve_due_at,
    }
    row = await _assigned(session, _ASSIGN_AGAIN, params)
    if row is None:
        if await _assigned(session, _ASSIGN_FIRST, params) is None:
            return False  # taken in elsewhere
        # The department is known: the waiting acknowledgement can say so, now.
        released = {"conversation": event.issue_id, "now": utcnow()}
        return await rows.rowcount(session, _RELEASE, released) > 0
    if not row.reachable:
        return False  # a reporter intake cannot answer
    if row.reporter_kind != "employee" or event.via == "rebalance":
        return False  # customers are not told of internal moves
    _stage(session, settings, event.issue_id, "reassigned", cause=cause,
           reporter_key=row.contact_id or event.issue_id, now=utcnow())  # fmt: skip
    return True


async def _assigned(
    session: AsyncSession, statement: Update, params: dict[str, Any]
) -> Row[Any] | None:
    row = await rows.first(session, statement, params)
    if row is not None:
        # A copy the session holds (an earlier event of the batch read it) is stale now.
        held = session.sync_session.identity_map.get(
            identity_key(Conversation, params["conversation"])
        )
        if held is not None:
            session.sync_session.expire(held)
    return row


async def on_ownership(
    session: AsyncSession,
    settings: Settings,
    event: object,
    *,
    cause: str,
    conversation: Conversation | None,
) -> bool:
    """Stage what a reply or a resolution means for the reporter of the issue whose
    ``conversation`` this is; True if anything is due. (``OwnerAssigned``:
    ``on_owner_assigned``.)"""
    if conversation is None or not conversation.reachable:
        return False  # taken in elsewhere, or a reporter intake cannot answer
    now = utcnow()
    key = conversation.contact_id or conversation.issue_id
    match event:
        case ReplyPosted():
            body = {"author": event.author_name, "text": event.text, "department": event.department}
            _stage(session, settings, conversation.issue_id, "reply", cause=cause,
                   reporter_key=key, now=now, body=body)  # fmt: skip
        case IssueResolved():
            # Not the resolution note: that is written for colleagues. What the reporter
            # should read of it, the owner replies first.
            _stage(session, settings, conversation.issue_id, "resolved", cause=cause,
                   reporter_key=key, now=now)  # fmt: skip
        case _:
            return False
    return True


async def heard(session: AsyncSession, *, issue_id: str, message_ids: list[str]) -> None:
    """The reporter wrote again by email: answers go on from their latest message."""
    conversation = await session.get(Conversation, issue_id)
    if conversation is not None and message_ids and conversation.channel == "email":
        conversation.last_message_id = message_ids[-1][:255]
        session.add(conversation)


async def issue_answered(session: AsyncSession, *, message_ids: list[str]) -> str | None:
    """The issue a reporter's mail answers, when it answers a message intake sent."""
    if not message_ids:
        return None
    sent = (
        await session.exec(
            select(ReporterMessage.issue_id).where(col(ReporterMessage.message_id).in_(message_ids))
        )
    ).first()
    return sent


async def bounced(session: AsyncSession, bounce: Bounce, *, now: datetime | None = None) -> bool:
    """A delivery report about mail intake sent: for a permanent failure, the contact
    it went to is undeliverable from now on. True when it was about intake's mail."""
    if not bounce.message_ids:
        return False
    message = (
        await session.exec(
            select(ReporterMessage).where(col(ReporterMessage.message_id).in_(bounce.message_ids))
        )
    ).first()
    if message is None:
        return False
    conversation = await session.get(Conversation, message.issue_id)
    if bounce.permanent and conversation is not None and conversation.contact_id:
        await contacts.mark_undeliverable(
            session=session, contact_id=conversation.contact_id, at=now or utcnow()
        )
    return True
