"""What intake keeps to answer reporters: each issue's conversation (how to reach
its reporter, and what intake learned of the issue since), every message it
sends them, and their rating of how the issue was handled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

Kind = Literal["acknowledged", "reassigned", "reply", "resolved"]
# waiting: an acknowledgement waiting to learn the owning department (or its timeout);
# skipped: a guard held it back (the reason says which), never to be sent.
Status = Literal["waiting", "pending", "sent", "failed", "skipped"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Conversation(SQLModel, table=True):
    """One per issue taken in: how intake answers its reporter, on the channel and
    in the thread they used, and what it learned of the issue from ownership."""

    __tablename__ = "conversations"

    issue_id: str = Field(primary_key=True, max_length=36)
    reference: str = Field(max_length=16)
    subject: str = Field(max_length=200)
    language: str = Field(default="en", max_length=16)
    channel: str = Field(max_length=32)
    reporter_kind: str = Field(max_length=16)
    # The contact to write to by email (an address), or the channel's own handle.
    contact_id: str | None = Field(default=None, max_length=40)
    # Where on the channel: the chat conversation, the post answered; for email the
    # first Message-ID of the reporter's thread, and the latest one in it.
    thread: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_message_id: str | None = Field(default=None, max_length=255)
    # Why nothing is sent automatically (a mailing list, a no-reply address); a
    # person's reply still goes out.
    quiet_reason: str | None = Field(default=None, max_length=200)
    # Intake can answer the reporter at all (an address, or a connector for the channel).
    reachable: bool = False
    # Learned from issues.ownership.
    department: str | None = Field(default=None, max_length=64)
    owner_name: str | None = Field(default=None, max_length=200)
    resolve_due_at: datetime | None = None
    opened_at: datetime = Field(default_factory=utcnow)


class ReporterMessage(SQLModel, table=True):
    """One message to a reporter. Rendered when it is sent, from the conversation
    as it is then; a retry keeps its Message-ID."""

    __tablename__ = "reporter_messages"
    __table_args__ = (UniqueConstraint("issue_id", "kind", "cause", name="uq_reporter_messages"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=16)
    # What caused it: the event's id, or "take-in" for an acknowledgement.
    cause: str = Field(max_length=64)
    # Who it is for (a contact id, else the reporter's id): the flood guard counts per reporter.
    reporter_key: str = Field(max_length=200, index=True)
    status: str = Field(default="pending", max_length=16)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    route: str | None = Field(default=None, max_length=16)  # email | connector
    message_id: str = Field(max_length=255, index=True)
    # What the event brought: a reply's text and author, a resolution's words.
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # The issue's trace, from what caused the message: its sending joins it.
    trace_context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None
    # When it stopped being tried (sent, failed or skipped): retention counts from here.
    finished_at: datetime | None = Field(default=None, index=True)


class Rating(SQLModel, table=True):
    """The reporter's one answer per issue to "how did we do?"."""

    __tablename__ = "reporter_ratings"

    issue_id: str = Field(primary_key=True, max_length=36)
    rating: int
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rated_at: datetime = Field(default_factory=utcnow)
