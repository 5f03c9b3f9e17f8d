"""Who a chat, call or post comes from: an id the caller already has, or a
contact detail that intake keeps (and turns into a contact id)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.contacts.service import reporter_id_for
from baton_intake.issues.schemas import ReporterIn
from baton_intake.outbound.routes import ReplyRoute
from baton_intake.sources.webform import EMAIL_PATTERN

PHONE_PATTERN = r"^[0-9+()./ -]{3,40}$"


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["customer", "employee"] = "customer"
    id: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    # An employee's department makes this an internal request.
    department: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not (self.id or self.email or self.phone):
            raise ValueError("give an id, an email or a phone number")
        return self


async def reporter(*, session: AsyncSession, person: Person) -> ReporterIn:
    if person.id:
        rid = person.id
    elif person.email:
        rid = await reporter_id_for(session=session, kind="email", value=person.email)
    else:
        rid = await reporter_id_for(session=session, kind="phone", value=person.phone or "")
    return ReporterIn(kind=person.kind, id=rid, department=person.department)


async def reply_route(*, session: AsyncSession, person: Person, thread: str | None) -> ReplyRoute:
    """How to answer them: on the thread (through the channel's connector), or by
    email when they gave an address."""
    contact = (
        await reporter_id_for(session=session, kind="email", value=person.email)
        if person.email
        else None
    )
    return ReplyRoute(contact_id=contact, thread=thread)
