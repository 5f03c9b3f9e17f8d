"""Phone: a call record ``{call_id, caller, started_at, duration_s, agent_id,
notes, transcript?}`` from the phone system (``POST /v1/channels/phone``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues import service
from baton_intake.issues.schemas import Draft
from baton_intake.settings import Settings
from baton_intake.sources.common import clip, subject_from
from baton_intake.sources.people import Person, reply_route, reporter

SOURCE = "phone"


class CallRecord(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "call_id": "call-5521",
                    "caller": {"phone": "+44 20 7946 0958"},
                    "started_at": "2026-11-23T09:30:00Z",
                    "duration_s": 312,
                    "agent_id": "agent-12",
                    "notes": "Invoice shows the wrong VAT rate.\nCustomer wants a corrected one.",
                }
            ]
        },
    )

    call_id: str = Field(min_length=1, max_length=200)
    caller: Person
    started_at: datetime
    duration_s: int = Field(ge=0, le=86_400)
    agent_id: str = Field(min_length=1, max_length=200)
    notes: str = Field(min_length=1, max_length=20_000)
    transcript: str | None = Field(default=None, max_length=200_000)


async def take_in(session: AsyncSession, settings: Settings, call: CallRecord) -> service.Taken:
    """A call record from the phone system; the same call_id twice is one issue."""
    description = call.notes
    if call.transcript:
        description += "\n\nTranscript:\n" + call.transcript
    draft = Draft(
        channel="phone",
        source_system=SOURCE,
        reporter=await reporter(session=session, person=call.caller),
        subject=subject_from(call.notes),
        description=clip(description, 20_000),
        external_ref=call.call_id,
        reply=await reply_route(session=session, person=call.caller, thread=None),
    )
    return await service.report(session=session, settings=settings, draft=draft)
