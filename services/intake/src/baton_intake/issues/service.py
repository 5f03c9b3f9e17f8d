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
from typing import Any

from baton_contracts import (
    Attachment,
    Envelope,
    IssueDuplicateLinked,
    IssueReported,
    IssueUpdated,
    OwnerAssigned,
    Reporter,
)
from baton_contracts.topics import ISSUES_REPORTED
from baton_runtime.db import upsert
from baton_runtime.outbox import add_event
from opentelemetry import trace
from sqlalchemy import Row, ScalarSelect
from sqlalchemy.orm import aliased
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
class Taken:
    issue: Issue
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


# Made once: an alias made per call costs its columns and its statement's cache key.
_PRIOR = aliased(Issue, name="prior")


def _open_duplicate(*, settings: Settings, draft: Draft, subject_key: str) -> ScalarSelect[str]:
    """The id of the reporter's latest open issue with this subject, within the window."""
    since = datetime.now(UTC) - timedelta(seconds=settings.duplicate_window_s)
    prior = _PRIOR
    return (
        select(prior.id)
        .where(
            prior.reporter_kind == draft.reporter.kind,
            prior.reporter_id == draft.reporter.id,
            prior.normalized_subject == subject_key,
            col(prior.duplicate_of).is_(None),
            col(prior.resolved_at).is_(None),
            prior.reported_at >= since,
        )
        .order_by(col(prior.reported_at).desc())
        .limit(1)
        .scalar_subquery()
    )


async def _insert(
    session: AsyncSession, issue: Issue, *, settings: Settings, draft: Draft
) -> Row[Any] | None:
    """Store ``issue``, linked to the open issue it near-duplicates, in one round trip:
    the row, or None when ``(source_system, external_ref)`` was already taken in."""
    values = issue.model_dump(exclude={"duplicate_of"})
    values["duplicate_of"] = _open_duplicate(
        settings=settings, draft=draft, subject_key=values["normalized_subject"]
    )
    statement = upsert(session, Issue).values(**values)
    if issue.external_ref is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=["source_system", "external_ref"]
        )
    return (await session.exec(statement.returning(col(Issue.duplicate_of)))).first()  # type: ignore[call-overload]


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
    issue = Issue(
        id=issue_id,
        channel=draft.channel,
        reporter_kind=draft.reporter.kind,
        reporter_id=draft.reporter.id,
        reporter_department=draft.reporter.department,
        subject=draft.subject,
        description=draft.description,
        priority=draft.priority,
        external_ref=draft.external_ref,
        internal=draft.reporter.kind == "employee",
        source_system=source,
        reference=_reference(issue_id),
        normalized_subject=normalized_subject(draft.subject),
    )
    stored = await _insert(session, issue, settings=settings, draft=draft)
    if stored is None:
        assert draft.external_ref is not None  # only a taken external_ref is skipped
        existing = await find_by_external_ref(
            session=session, source_system=source, external_ref=draft.external_ref
        )
        assert existing is not None
        return Taken(existing, "existing", existing.duplicate_of)
    issue.duplicate_of = original = stored.duplicate_of
    # Later messages in this thread belong to the issue that is being worked on.
    for ref in dict.fromkeys(draft.thread_refs):
        session.add(Thread(source_system=source, ref=ref[:255], issue_id=original or issue_id))
    topic = settings.topic(ISSUES_REPORTED)
    span = trace.get_current_span()
    span.set_attribute("baton.issue_id", issue.id)
    span.set_attribute("baton.channel", issue.channel)
    span.set_attribute("baton.internal", issue.internal)
    if original is not None:
        linked = IssueDuplicateLinked(
            issue_id=original,
            duplicate_issue_id=issue.id,
            channel=issue.channel,
            reason="same reporter and subject as an open issue",
            linked_at=issue.reported_at,
            subject=issue.subject,
            description=issue.description,
        )
        add_event(session, topic=topic, envelope=Envelope.wrap(source=SOURCE, data=linked))
        span.set_attribute("baton.duplicate_of", original)
        await session.flush()
        metrics.count_on_commit(
            session, channel=issue.channel, priority=issue.priority, outcome="duplicate_linked"
        )
        return Taken(issue, "duplicate_linked", original)

    language = languages.supported(draft.language) or languages.detect(
        f"{issue.subject}\n{issue.description}"
    )
    assert issue.reference is not None
    reachable = await outbound.open_conversation(
        session, settings, issue_id=issue.id, reference=issue.reference, subject=issue.subject,
        channel=issue.channel, reporter_kind=issue.reporter_kind, reporter_id=issue.reporter_id,
        language=language or languages.FALLBACK, route=draft.reply, now=issue.reported_at,
    )  # fmt: skip
    event = IssueReported(
        issue_id=issue.id,
        channel=issue.channel,
        reporter=Reporter(
            kind=draft.reporter.kind,
            id=issue.reporter_id,
            department=issue.reporter_department,
            reachable=reachable,
        ),
        language=draft.language or language,
        subject=issue.subject,
        description=issue.description,
        priority=draft.priority,
        external_ref=issue.external_ref,
        internal=issue.internal,
        reported_at=issue.reported_at,
        source_system=source,
        reference=issue.reference,
        attachments=draft.attachments,
    )
    add_event(session, topic=topic, envelope=Envelope.wrap(source=SOURCE, data=event))
    await session.flush()  # unique keys are checked here, inside the caller's retry
    metrics.count_on_commit(
        session, channel=issue.channel, priority=issue.priority, outcome="created"
    )
    return Taken(issue, "created")


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


def learn_department(
    *, session: AsyncSession, event: OwnerAssigned, conversation: Conversation | None
) -> None:
    """Keep the department that holds the issue (in its ``conversation``), whether or
    not its reporter can be answered (``outbound`` keeps it for those who can): who
    may read the issue depends on it."""
    if conversation is not None and conversation.department != event.department:
        conversation.department = event.department
        session.add(conversation)
