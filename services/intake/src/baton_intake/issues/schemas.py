"""The issue API's bodies (``IssueCreate`` in, ``IssueAccepted`` and
``IssuePublic`` out) and the ``Draft`` every source hands the issue service. Text
fields are normalized to plain, safe text as they are validated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import pydantic
from baton_contracts import Attachment, Priority
from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlmodel import Field

from baton_intake.issues.models import Issue
from baton_intake.outbound.routes import ReplyRoute
from baton_intake.text import one_line, safe_text

Channel = Literal["agent", "web_form", "email", "chat", "phone", "social", "system"]

# Normalized before the length limits apply, so "<b></b>" is an empty subject.
OneLine = Annotated[str, AfterValidator(one_line)]
SafeText = Annotated[str, AfterValidator(safe_text)]
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9._:-]{0,63}$"


def _nonempty(value: str) -> str:
    if not value:
        raise ValueError("must contain text (markup and control characters are removed)")
    return value


class ReporterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["customer", "employee"]
    id: Annotated[str, AfterValidator(one_line), AfterValidator(_nonempty)] = Field(
        min_length=1, max_length=200
    )
    # An employee reporting for their department makes this an internal request.
    department: OneLine | None = Field(default=None, min_length=1, max_length=64)


class IssueCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "channel": "agent",
                    "reporter": {"kind": "customer", "id": "cust-42"},
                    "subject": "Charged twice",
                    "description": "I was charged twice for order 1234.",
                    "priority": "high",
                    "external_ref": "crm-9",
                }
            ]
        },
    )

    channel: Channel
    reporter: ReporterIn
    subject: Annotated[OneLine, AfterValidator(_nonempty)] = Field(min_length=1, max_length=200)
    description: Annotated[SafeText, AfterValidator(_nonempty)] = Field(
        min_length=1, max_length=20_000
    )
    priority: Priority = "normal"
    external_ref: OneLine | None = Field(default=None, min_length=1, max_length=200)
    # The system that handed the issue in; (source_system, external_ref) is unique.
    # Defaults to the channel.
    source_system: str | None = pydantic.Field(default=None, pattern=SOURCE_PATTERN)
    # The language the reporter wrote in (en, de-AT, ...); guessed from the text if not given.
    language: str | None = pydantic.Field(
        default=None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"
    )


class Draft(IssueCreate):
    """What a source hands the issue service (not part of the REST API)."""

    model_config = ConfigDict(extra="forbid")

    attachments: list[Attachment] = []
    # Ids later messages will refer to (an email's Message-ID, a chat conversation).
    thread_refs: list[str] = []
    # How intake can answer the reporter (an address, the thread); None: it cannot.
    reply: ReplyRoute | None = None

    @property
    def source(self) -> str:
        return self.source_system or self.channel


Outcome = Literal["created", "existing", "duplicate_linked", "updated", "ignored"]


class IssueAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "issue_id": "6f1c8a52-8f5e-4c1e-9a4b-0f3e2d1c0b9a",
                    "status_url": "/v1/issues/6f1c8a52-8f5e-4c1e-9a4b-0f3e2d1c0b9a",
                    "outcome": "created",
                    "duplicate_of": None,
                    "reference": "BTN-6F1C8A52",
                    "reason": None,
                }
            ]
        }
    )

    issue_id: str | None
    status_url: str | None
    outcome: Outcome = "created"
    # For a near-duplicate: the open issue it was linked to.
    duplicate_of: str | None = None
    reference: str | None = None
    reason: str | None = None


class IssuePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "issue_id": "6f1c8a52-8f5e-4c1e-9a4b-0f3e2d1c0b9a",
                    "channel": "email",
                    "reporter": {"kind": "customer", "id": "contact-3f2a9c1d0b8e7f6a"},
                    "subject": "My parcel never arrived",
                    "description": "Order 1234 was due on Monday.",
                    "priority": "normal",
                    "external_ref": "mid-0c5e1f0b6a2d4c3b9e8f7a6d5c4b3a2f1e0d9c8b",
                    "source_system": "email",
                    "reference": "BTN-6F1C8A52",
                    "duplicate_of": None,
                    "internal": False,
                    "reported_at": "2026-11-23T10:00:00Z",
                    "resolved_at": None,
                }
            ]
        }
    )

    issue_id: str
    channel: str
    reporter: ReporterIn
    subject: str
    description: str
    priority: Priority
    external_ref: str | None
    source_system: str | None = None
    reference: str | None = None
    duplicate_of: str | None = None
    internal: bool
    reported_at: datetime
    # Set once its owner resolved it; None while it is open (or was reopened).
    resolved_at: datetime | None = None

    @classmethod
    def of(cls, issue: Issue) -> IssuePublic:
        # The row's own fields, but for its id and its reporter (three columns there).
        copied = issue.model_dump(include=cls.model_fields.keys() - {"issue_id", "reporter"})
        reporter = ReporterIn.model_construct(
            kind=issue.reporter_kind,  # type: ignore[arg-type]
            id=issue.reporter_id,
            department=issue.reporter_department,
        )
        return cls(issue_id=issue.id, reporter=reporter, **copied)
