"""Chat: a transcript ``{conversation_id, customer, messages: [{from, text, at}]}``
(``POST /v1/channels/chat``). The first transcript of a conversation is a new
issue; a later one with more messages is an update carrying only the new ones."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues import service
from baton_intake.issues.models import Thread
from baton_intake.issues.schemas import Draft
from baton_intake.settings import Settings
from baton_intake.sources.common import clip, subject_from
from baton_intake.sources.people import Person, reply_route, reporter

SOURCE = "chat"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sender: Literal["customer", "agent", "bot"] = Field(alias="from")
    text: str = Field(min_length=1, max_length=5_000)
    at: datetime


class ChatTranscript(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "conversation_id": "conv-881",
                    "customer": {"email": "ada@example.com"},
                    "messages": [
                        {"from": "customer", "text": "My parcel never arrived.",
                         "at": "2026-11-23T10:00:00Z"},
                        {"from": "agent", "text": "Sorry! Which order?",
                         "at": "2026-11-23T10:01:00Z"},
                    ],
                }
            ]
        },
    )  # fmt: skip

    conversation_id: str = Field(min_length=1, max_length=200)
    customer: Person
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)


def render(messages: list[ChatMessage]) -> str:
    return "\n".join(f"{m.sender}: {m.text}" for m in messages)


async def take_in(
    session: AsyncSession, settings: Settings, transcript: ChatTranscript
) -> service.Taken:
    """A chat transcript; the same conversation later is an update."""
    thread = await session.get(Thread, (SOURCE, transcript.conversation_id))
    if thread is not None:
        issue = await service.get(session=session, issue_id=thread.issue_id)
        assert issue is not None
        new = transcript.messages[thread.seen_messages :]
        if not new:
            return service.Taken(issue, "existing")
        thread.seen_messages = len(transcript.messages)
        session.add(thread)
        return await service.update(
            session=session,
            settings=settings,
            issue=issue,
            channel="chat",
            text=clip(render(new), 20_000),
        )

    first = next((m.text for m in transcript.messages if m.sender == "customer"), "")
    draft = Draft(
        channel="chat",
        source_system=SOURCE,
        reporter=await reporter(session=session, person=transcript.customer),
        subject=subject_from(first),
        description=clip(render(transcript.messages), 20_000),
        external_ref=transcript.conversation_id,
        thread_refs=[transcript.conversation_id],
        reply=await reply_route(
            session=session, person=transcript.customer, thread=transcript.conversation_id
        ),
    )
    taken = await service.report(session=session, settings=settings, draft=draft)
    thread = await session.get(Thread, (SOURCE, transcript.conversation_id))
    if thread is not None:
        thread.seen_messages = len(transcript.messages)
        session.add(thread)
    return taken
