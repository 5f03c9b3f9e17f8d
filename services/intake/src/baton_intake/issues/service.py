"""Taking an issue in, exactly once per real issue.

- ``(source_system, external_ref)`` is unique: a second submission finds the
  issue already taken in and publishes nothing.
- A near-duplicate (same reporter, same normalized subject, within the window,
  and the earlier issue not resolved) is stored, linked to the open issue and
  announced as ``IssueDuplicateLinked``, so routing does not route it again.
  Once ownership resolves an issue, the same complaint again is a new issue:
  the first fix did not hold.
- Anything else is stored and ``IssueReported`` staged in the same transaction.

The row goes in with one statement that also finds the open issue it
near-duplicates and skips a taken ``external_ref`` (an issue costs POST's hot
path its round trips: each is CPU twice, in the ORM and on the socket).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from baton_contracts import (
    Attachment,
    Envelope,
    IssueDuplicateLinked,
    IssueReported,
    IssueUpdated,
    Reporter,
)
from baton_contracts.topics import ISSUES_REPORTED
from baton_runtime import rows
from baton_runtime.db import dialect, upsert_for
from baton_runtime.outbox import add_event
from opentelemetry import trace
from sqlalchemy import Row, String, bindparam
from sqlalchemy.sql import Executable
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake import metrics
from baton_intake.issues.models import Issue, IssueUpdate, Thread
from baton_intake.issues.schemas import Draft, Outcome
from baton_intake.outbound import language as languages
from baton_intake.outbound import service as outbound
from baton_intake.outbound.models import Conversation
from baton_intake.settings import Settings
from baton_intake.text import normalized_subject

SOURCE = "/baton/intake"


@dataclass(frozen=True)
class Stored:
    """What is answered of an issue just stored (no ORM object is made for it)."""

    id: str
    reference: str | None


@dataclass(frozen=True)
class Taken:
    issue: Issue | Stored
    outcome: Outcome
    duplicate_of: str | None = None


def _reference(issue_id: str) -> str:
    return "BTN-" + issue_id.replace("-", "")[:8].upper()


async def find_by_external_ref(
    *, session: AsyncSession, source_system: str, external_ref: str
) -> Issue | None:
    return (
        await session.exec(
            select(Issue).where(
                Issue.source_system == source_system, Issue.external_ref == external_ref
            )
        )
    ).first()


@cache
def _insert_statement(dialect: str) -> Executable:
    """The issue's INSERT, built once per database: the row (every column a
    parameter of the same name), linked to the reporter's latest open issue with
    this subject within the window (``prior_*`` parameters), nothing when
    ``(source_system, external_ref)`` was taken in already (a NULL ref never is);
    it returns the link."""
    table = Issue.__table__
    prior = table.alias("prior")
    duplicate = (
        select(prior.c.id)
        .where(
            prior.c.reporter_kind == bindparam("prior_reporter_kind", type_=String),
            prior.c.reporter_id == bindparam("prior_reporter_id", type_=String),
            prior.c.normalized_subject == bindparam("prior_subject", type_=String),
            prior.c.duplicate_of.is_(None),
            prior.c.resolved_at.is_(None),
            prior.c.reported_at >= bindparam("prior_since", type_=table.c.reported_at.type),
        )
        .order_by(prior.c.reported_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        upsert_for(dialect, table)
        .values(duplicate_of=duplicate)
        .on_conflict_do_nothing(index_elements=["source_system", "external_ref"])
        .returning(table.c.duplicate_of)
    )


async def _insert(
    session: AsyncSession, row: dict[str, Any], *, settings: Settings, draft: Draft
) -> Row[Any] | None:
    """Store ``row``, linked to the open issue it near-duplicates, in one round trip:
    the row, or None when ``(source_system, external_ref)`` was already taken in."""
    since = datetime.now(UTC) - timedelta(seconds=settings.duplicate_window_s)
    params = row | {
        "prior_reporter_kind": draft.reporter.kind,
        "prior_reporter_id": draft.reporter.id,
        "prior_subject": row["normalized_subject"],
        "prior_since": since,
    }
    return await rows.first(session, _insert_statement(dialect(session)), params)


async def find_thread(
    *, session: AsyncSession, source_system: str, refs: list[str]
) -> Thread | None:
    if not refs:
        return None
    return (
        await session.exec(
            select(Thread).where(Thread.source_system == source_system, col(Thread.ref).in_(refs))
        )
    ).first()


async def find_by_reference(*, session: AsyncSession, reference: str) -> Issue | None:
    return (await session.exec(select(Issue).where(Issue.reference == reference))).first()


async def report(*, session: AsyncSession, settings: Settings, draft: Draft) -> Taken:
    """Take ``draft`` in; the caller commits (the event is in the outbox then)."""
    source = draft.source
    issue_id = str(uuid.uuid4())
    reference = _reference(issue_id)
    reported_at = datetime.now(UTC)
    internal = draft.reporter.kind == "employee"
    # The row as parameters (no ORM object: nothing but this INSERT needs one).
    row = {
        "id": issue_id,
        "channel": draft.channel,
        "reporter_kind": draft.reporter.kind,
        "reporter_id": draft.reporter.id,
        "reporter_department": draft.reporter.department,
        "subject": draft.subject,
        "description": draft.description,
        "priority": draft.priority,
        "external_ref": draft.external_ref,
        "internal": internal,
        "reported_at": reported_at,
        "source_system": source,
        "reference": reference,
        "normalized_subject": normalized_subject(draft.subject),
        "resolved_at": None,
    }
    stored = await _insert(session, row, settings=settings, draft=draft)
    if stored is None:
        assert draft.external_ref is not None  # only a taken external_ref is skipped
        existing = await find_by_external_ref(
            session=session, source_system=source, external_ref=draft.external_ref
        )
        assert existing is not None
        return Taken(existing, "existing", existing.duplicate_of)
    original = stored.duplicate_of
    # Later messages in this thread belong to the issue that is being worked on.
    for ref in dict.fromkeys(draft.thread_refs):
        session.add(Thread(source_system=source, ref=ref[:255], issue_id=original or issue_id))
    topic = settings.topic(ISSUES_REPORTED)
    span = trace.get_current_span()
    span.set_attribute("baton.issue_id", issue_id)
    span.set_attribute("baton.channel", draft.channel)
    span.set_attribute("baton.internal", internal)
    if original is not None:
        linked = IssueDuplicateLinked(
            issue_id=original,
            duplicate_issue_id=issue_id,
            channel=draft.channel,
            reason="same reporter and subject as an open issue",
            linked_at=reported_at,
            subject=draft.subject,
            description=draft.description,
        )
        add_event(session, topic=topic, envelope=Envelope.wrap(source=SOURCE, data=linked))
        span.set_attribute("baton.duplicate_of", original)
        await session.flush()
        metrics.count_on_commit(
            session, channel=draft.channel, priority=draft.priority, outcome="duplicate_linked"
        )
        return Taken(Stored(issue_id, reference), "duplicate_linked", original)

    language = languages.supported(draft.language) or languages.detect(
        f"{draft.subject}\n{draft.description}"
    )
    reachable = await outbound.open_conversation(
        session, settings, issue_id=issue_id, reference=reference, subject=draft.subject,
        channel=draft.channel, reporter_kind=draft.reporter.kind, reporter_id=draft.reporter.id,
        language=language or languages.FALLBACK, route=draft.reply, now=reported_at,
    )  # fmt: skip
    event = IssueReported(
        issue_id=issue_id,
        channel=draft.channel,
        reporter=Reporter(
            kind=draft.reporter.kind,
            id=draft.reporter.id,
            department=draft.reporter.department,
            reachable=reachable,
        ),
        language=draft.language or language,
        subject=draft.subject,
        description=draft.description,
        priority=draft.priority,
        external_ref=draft.external_ref,
        internal=internal,
        reported_at=reported_at,
        source_system=source,
        reference=reference,
        attachments=draft.attachments,
    )
    add_event(session, topic=topic, envelope=Envelope.wrap(source=SOURCE, data=event))
    await session.flush()  # unique keys are checked here, inside the caller's retry
    metrics.count_on_commit(
        session, channel=draft.channel, priority=draft.priority, outcome="created"
    )
    return Taken(Stored(issue_id, reference), "created")


async def update(
    *,
    session: AsyncSession,
    settings: Settings,
    issue: Issue,
    channel: str,
    text: str,
    attachments: list[Attachment] | None = None,
    thread_refs: list[str] | None = None,
) -> Taken:
    """More from the reporter on an issue already taken in: ``IssueUpdated``."""
    received = IssueUpdate(issue_id=issue.id, channel=channel, text=text)
    session.add(received)
    for ref in dict.fromkeys(thread_refs or []):
        session.add(
            Thread(source_system=issue.source_system or channel, ref=ref[:255], issue_id=issue.id)
        )
    # Answers to the reporter go on from their latest message.
    await outbound.heard(session, issue_id=issue.id, message_ids=thread_refs or [])
    event = IssueUpdated(
        issue_id=issue.id,
        channel=channel,
        text=text,
        attachments=attachments or [],
        updated_at=received.received_at,
    )
    add_event(
        session,
        topic=settings.topic(ISSUES_REPORTED),
        envelope=Envelope.wrap(source=SOURCE, data=event),
    )
    trace.get_current_span().set_attribute("baton.issue_id", issue.id)
    await session.flush()
    return Taken(issue, "updated")


async def get(*, session: AsyncSession, issue_id: str) -> Issue | None:
    return await session.get(Issue, issue_id)


async def department_of(*, session: AsyncSession, issue: Issue) -> str | None:
    """The department ownership last assigned the issue to, as intake learned it
    (``OwnerAssigned``); for a near-duplicate, that of the issue it was linked to.
    None while intake does not know."""
    conversation = await session.get(Conversation, issue.duplicate_of or issue.id)
    return conversation.department if conversation is not None else None
