"""Web forms: a plain HTML form posts ``application/x-www-form-urlencoded`` to
``POST /v1/issues``. The visitor gives an email address or phone number (kept
here, as a contact) or, on an intranet form, their employee id and department."""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qsl

from baton_contracts import Priority
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.contacts.service import reporter_id_for
from baton_intake.issues.schemas import Draft, ReporterIn
from baton_intake.outbound.routes import ReplyRoute

EMAIL_PATTERN = (
    r"^[^@ \t\n\r\f\v<>]+@[^@ \t\n\r\f\v<>]+\.[^@ \t\n\r\f\v<>]+$"  # same in Python and ECMA
)
FORM_EXAMPLE = {
    "subject": "Charged twice",
    "description": "I was charged twice for order 1234.",
    "email": "ada@example.com",
}


class WebForm(BaseModel):
    model_config = ConfigDict(
        extra="ignore",  # forms carry buttons, CSRF tokens, honeypots...
        str_strip_whitespace=True,
        json_schema_extra={"examples": [FORM_EXAMPLE]},
    )

    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    phone: str | None = Field(default=None, min_length=3, max_length=40, pattern=r"^[0-9+()./ -]+$")
    employee_id: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = Field(default=None, min_length=1, max_length=64)
    priority: Priority = "normal"
    external_ref: str | None = Field(default=None, min_length=1, max_length=200)
    form: str = Field(default="web_form", pattern=r"^[a-z0-9][a-z0-9._:-]{0,63}$")

    @model_validator(mode="after")
    def _someone(self) -> WebForm:
        if not (self.email or self.phone or self.employee_id):
            raise ValueError("give an email, a phone number or an employee id")
        return self

    @property
    def kind(self) -> Literal["customer", "employee"]:
        return "employee" if self.employee_id else "customer"


def parse_form(body: bytes) -> dict[str, str]:
    # The last value wins, as most form handlers do; blank fields count as absent.
    return {k: v for k, v in parse_qsl(body.decode("utf-8", "replace")) if v.strip()}


async def reporter_id(*, session: AsyncSession, form: WebForm) -> str:
    """An employee is their id; a customer becomes a contact id (no address in events)."""
    if form.employee_id:
        return form.employee_id
    if form.email:
        return await reporter_id_for(session=session, kind="email", value=form.email)
    return await reporter_id_for(session=session, kind="phone", value=form.phone or "")


async def reply_route(*, session: AsyncSession, form: WebForm, reporter_id: str) -> ReplyRoute:
    """By email when the visitor gave an address (an employee may give one besides
    their id), else through the web form's connector, if one is configured."""
    if form.email is None:
        return ReplyRoute(thread=form.external_ref)
    if form.employee_id is None:  # the reporter is that address's contact
        return ReplyRoute(contact_id=reporter_id, thread=form.external_ref)
    contact = await reporter_id_for(session=session, kind="email", value=form.email)
    return ReplyRoute(contact_id=contact, thread=form.external_ref)


def to_draft(form: WebForm, *, reporter_id: str, reply: ReplyRoute | None = None) -> Draft:
    return Draft(
        channel="web_form",
        source_system=form.form,
        reporter=ReporterIn(kind=form.kind, id=reporter_id, department=form.department),
        subject=form.subject,
        description=form.description,
        priority=form.priority,
        external_ref=form.external_ref,
        reply=reply,
    )
