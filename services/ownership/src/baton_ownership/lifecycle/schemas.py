"""The lifecycle's API bodies: what a change sends, and the issue's state it gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from baton_ownership.core.models import INTEGER_MAX, Handoff
from baton_ownership.core.state import State

HandoffStatus = Literal["requested", "accepted", "declined", "cancelled"]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int = PydanticField(
        ge=1, le=INTEGER_MAX, description="The version you saw; a stale one is a 409."
    )


class AcknowledgeIn(_Change):
    pass


class HandoffIn(_Change):
    to_department: str = PydanticField(min_length=1, max_length=64)
    to_person_id: str | None = PydanticField(default=None, min_length=1, max_length=128)
    reason: str = PydanticField(min_length=1, max_length=2000)


class DecideHandoffIn(_Change):
    pass


class DeclineIn(_Change):
    reason: str = PydanticField(min_length=1, max_length=2000)
    # Where it belongs instead, if the decliner knows; without it, routing is asked again.
    suggested_department: str | None = PydanticField(default=None, min_length=1, max_length=64)


class HelpIn(_Change):
    department: str = PydanticField(min_length=1, max_length=64)
    question: str = PydanticField(min_length=1, max_length=5000)
    due_in_hours: float = PydanticField(default=24, gt=0, le=24 * 30)


class AnswerIn(_Change):
    answer: str = PydanticField(min_length=1, max_length=5000)


class ResolveIn(_Change):
    resolution: str = PydanticField(min_length=1, max_length=5000)


class ReopenIn(_Change):
    reason: str = PydanticField(min_length=1, max_length=2000)


class RemarkIn(BaseModel):
    """A reply to the reporter, or an internal note; neither changes the version."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = PydanticField(min_length=1, max_length=10_000)


class HandoffPublic(BaseModel):
    id: int
    to_department: str
    to_person_id: str | None
    from_owner_id: str
    # Null for an agent: written for the receiving department, not the customer.
    reason: str | None
    status: HandoffStatus
    requested_at: datetime

    @classmethod
    def shown(cls, row: Handoff, *, reason: bool) -> HandoffPublic:
        shown = cls.model_validate(row, from_attributes=True)
        return shown if reason else shown.model_copy(update={"reason": None})


class HelpPublic(BaseModel):
    id: int
    helping_department: str
    requested_by: str
    due_at: datetime
    status: Literal["open", "answered"]


class DeadlinePublic(BaseModel):
    """A running clock: when it is due, what it counts, and why, in words."""

    kind: Literal["acknowledge", "resolve", "help"]
    due_at: datetime
    counting: Literal["working", "wall"]
    started_at: datetime | None
    length_minutes: float | None
    escalation_level: int
    on_call_layer: int | None
    help_id: int | None
    explanation: str


class RequesterPublic(BaseModel):
    """The internal customer who asked: an employee and their department."""

    person_id: str | None
    department: str | None


class IssueState(BaseModel):
    issue_id: str
    department: str
    owner_id: str
    state: State
    version: int
    hop: int
    priority: str
    assigned_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    pending_handoff: HandoffPublic | None
    open_help_requests: list[HelpPublic]
    # The clocks running now, each explained; and who asked, for an internal request.
    deadlines: list[DeadlinePublic] = []
    requester: RequesterPublic | None = None


class HistoryPublic(BaseModel):
    action: str
    actor_id: str
    department: str
    owner_id: str
    version: int
    at: datetime
    details: dict[str, Any]
