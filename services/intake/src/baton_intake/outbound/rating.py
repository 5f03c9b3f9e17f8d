"""The reporter's satisfaction rating: one answer per issue, through the signed link
in the resolution message. Recorded with ``IssueRated`` (on ``issues.feedback``)
in the same transaction, for ownership's scorecards."""

from __future__ import annotations

from dataclasses import dataclass

from baton_contracts import Envelope, IssueRated
from baton_contracts.topics import ISSUES_FEEDBACK
from baton_runtime.links import LinkError, verify
from baton_runtime.outbox import add_event
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.outbound.models import Conversation, Rating, utcnow
from baton_intake.settings import Settings

PURPOSE = "rate"
SOURCE = "/baton/intake"


@dataclass(frozen=True)
class Asked:
    """What a rating link is about."""

    conversation: Conversation
    rated: Rating | None


async def asked(session: AsyncSession, settings: Settings, token: str) -> Asked:
    """The issue a rating link names, and its rating if it has one; ``LinkError``."""
    claims = verify(token, key=settings.link_signing_key.get_secret_value(), purpose=PURPOSE)
    conversation = await session.get(Conversation, str(claims.get("issue_id", "")))
    if conversation is None:
        raise LinkError("this link names no issue we know")
    return Asked(conversation, await session.get(Rating, conversation.issue_id))


def rate(
    session: AsyncSession, settings: Settings, *, issue_id: str, rating: int, comment: str | None
) -> Rating:
    """Record the answer and stage ``IssueRated``; the caller commits (a second answer
    for the issue fails on the primary key, and the caller says "already")."""
    row = Rating(issue_id=issue_id, rating=rating, comment=comment or None, rated_at=utcnow())
    session.add(row)
    event = IssueRated(issue_id=issue_id, rating=rating, comment=row.comment, rated_at=row.rated_at)
    add_event(
        session,
        topic=settings.topic(ISSUES_FEEDBACK),
        envelope=Envelope.wrap(source=SOURCE, data=event),
    )
    return row
