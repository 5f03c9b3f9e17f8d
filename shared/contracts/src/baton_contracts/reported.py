"""Topic family ``issues.reported``: what intake took in.

Consumers must ignore the types of this family they do not handle: the family
grows (additively) as intake learns new doors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from baton_contracts.common import Priority
from baton_contracts.envelope import register

ISSUE_REPORTED_V1 = "baton.issue.reported.v1"
ISSUE_UPDATED_V1 = "baton.issue.updated.v1"
ISSUE_DUPLICATE_LINKED_V1 = "baton.issue.duplicate_linked.v1"


class Reporter(BaseModel):
    kind: Literal["customer", "employee"]
    # An id, never an email address or phone number: contact details stay in intake.
    id: str = Field(min_length=1, max_length=200)
    # For an internal customer (an employee): the department asking for help.
    department: str | None = None
    # Additive in v1: intake answers this reporter itself (it holds an address, or a
    # connector for their channel). False: nobody can write to them but staff who
    # know them (an employee by id alone).
    reachable: bool = False


class Attachment(BaseModel):
    """What was attached (metadata only: the content stays out of events)."""

    name: str
    content_type: str
    size: int


class IssueReported(BaseModel):
    issue_id: str
    channel: str
    reporter: Reporter
    subject: str
    description: str
    priority: Priority = "normal"
    external_ref: str | None = None
    internal: bool = False
    reported_at: datetime
    # Optional context routing rules may match on (additive in v1).
    customer_tier: str | None = None
    product: str | None = None
    language: str | None = None
    # Additive in v1: the system that handed the issue in, and the issue's
    # reference token (what a customer quotes in a reply, e.g. "BTN-1A2B3C4D").
    source_system: str | None = None
    reference: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class IssueUpdated(BaseModel):
    """More from the reporter on an issue already taken in (a reply, a later chat)."""

    issue_id: str
    channel: str
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    updated_at: datetime


class IssueDuplicateLinked(BaseModel):
    """A near-duplicate of an open issue: linked to it, not routed again.

    ``issue_id`` is the open issue (so this event stays in its partition and
    order); ``duplicate_issue_id`` is the one just reported."""

    issue_id: str
    duplicate_issue_id: str
    channel: str
    reason: str
    linked_at: datetime
    # Additive in v1: what the reporter wrote this time, so the owner can be told.
    subject: str | None = None
    description: str | None = None


register(ISSUE_REPORTED_V1, IssueReported)
register(ISSUE_UPDATED_V1, IssueUpdated)
register(ISSUE_DUPLICATE_LINKED_V1, IssueDuplicateLinked)
