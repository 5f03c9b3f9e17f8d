"""Topic family ``issues.ownership``: who holds an issue, and every change to that.

Every event names the issue, the acting person's id and the issue's version
after the change, so a consumer can order and de-duplicate them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from baton_contracts.common import Person, Priority
from baton_contracts.envelope import register

OWNER_ASSIGNED_V1 = "baton.issue.owner_assigned.v1"
ISSUE_ACKNOWLEDGED_V1 = "baton.issue.acknowledged.v1"
HANDOFF_REQUESTED_V1 = "baton.issue.handoff_requested.v1"
HANDOFF_DECLINED_V1 = "baton.issue.handoff_declined.v1"
HELP_REQUESTED_V1 = "baton.issue.help_requested.v1"
HELP_ANSWERED_V1 = "baton.issue.help_answered.v1"
ISSUE_RESOLVED_V1 = "baton.issue.resolved.v1"
ISSUE_REOPENED_V1 = "baton.issue.reopened.v1"
ESCALATED_V1 = "baton.issue.escalated.v1"
DEADLINE_NEAR_V1 = "baton.issue.deadline_near.v1"
REPLY_POSTED_V1 = "baton.issue.replied.v1"
DEADLINE_SET_V1 = "baton.issue.deadline_set.v1"


class DeadlineSet(BaseModel):
    """A clock started or restarted on an issue: the owner's department must
    acknowledge or resolve it by ``due_at`` (or, for help, the helping department
    answer). Every change of a clock is announced: an assignment starts them (said
    in its ``OwnerAssigned.clocks``), each escalation step and on-call layer restarts
    one (said here), as do reopening and a help request.
    A later ``version`` replaces an earlier clock of the same kind; acknowledging,
    accepting or resolving stops the clocks they meet (the events of those say so)."""

    issue_id: str
    department: str
    deadline: Literal["acknowledge", "resolve", "help"]
    due_at: datetime
    version: int  # the issue's version when the clock started
    set_at: datetime
    help_id: int | None = None


class OwnerAssigned(BaseModel):
    """An issue has a new accountable owner: first assignment or an accepted hand-off."""

    issue_id: str
    department: str
    owner: Person
    assigned_at: datetime
    via: Literal["routing", "handoff", "rebalance", "escalation"] = "routing"
    previous_owner_id: str | None = None
    hop: int = 1  # how many departments have held the issue, this one included
    version: int = 1
    # Additive in v1, so that whoever tells people can say what the owner must do by
    # when (and what may wait for their working hours): the issue's priority, why
    # routing chose the department (first assignment), and the clocks the assignment
    # started (None: unchanged, or not said).
    priority: Priority | None = None
    routing_reason: str | None = None
    acknowledge_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    # Additive in v1: the on-call layer the owner was called from (1 = first).
    on_call_layer: int | None = None
    # Additive in v1: the clocks this assignment started, each as its own
    # ``DeadlineSet`` would have said it (which is then not published: one event
    # per assignment, not three). Empty from older producers, and where the
    # assignment started none; a later change of a clock is a ``DeadlineSet``.
    clocks: list[DeadlineSet] = Field(default_factory=list)


class OwnershipChange(BaseModel):
    issue_id: str
    department: str
    owner_id: str
    actor_id: str
    version: int
    at: datetime
    # Additive in v1: the issue's priority (None from older producers).
    priority: Priority | None = None


class IssueAcknowledged(OwnershipChange):
    pass


class HandoffRequested(OwnershipChange):
    handoff_id: int
    to_department: str
    to_person_id: str | None = None
    reason: str


class HandoffDeclined(OwnershipChange):
    handoff_id: int
    to_department: str
    reason: str
    # Where the decliner says it belongs; None asks routing to reroute the issue.
    suggested_department: str | None = None


class HelpRequested(OwnershipChange):
    help_id: int
    helping_department: str
    due_at: datetime
    question: str | None = None  # additive in v1: what the owner asked


class HelpAnswered(OwnershipChange):
    help_id: int
    helping_department: str
    on_time: bool
    answer: str | None = None  # additive in v1: what the helping department said


class IssueResolved(OwnershipChange):
    resolution: str | None = None  # additive in v1: the owner's note on how it was fixed


class IssueReopened(OwnershipChange):
    reason: str | None = None  # additive in v1: why it came back


class Escalated(OwnershipChange):
    """A deadline passed, or an issue bounced through too many departments.

    ``to`` is the next person in the department's chain; ``moved`` says whether
    ownership moved to them (else they are only told).
    """

    reason: Literal[
        "acknowledge_overdue", "resolve_overdue", "help_overdue", "silo_alarm", "owner_unreachable"
    ]
    level: int  # the step of the chain reached, 1 = first
    to: Person
    moved: bool
    due_at: datetime | None = None
    help_id: int | None = None
    # Additive in v1: the on-call layer that was called (an urgent issue outside
    # working hours that the previous layer did not acknowledge).
    on_call_layer: int | None = None


class DeadlineNear(OwnershipChange):
    """A clock is about to run out: the owner (or, for help, the helping
    department) still has time to act before the issue escalates."""

    deadline: Literal["acknowledge", "resolve", "help"]
    due_at: datetime
    help_id: int | None = None
    helping_department: str | None = None


class ReplyPosted(BaseModel):
    """The owner (or the department's head) answered the reporter: intake sends
    ``text`` on the channel and thread the reporter used. Ownership and the
    issue's version do not change. Internal notes are never events."""

    issue_id: str
    department: str
    owner_id: str
    actor_id: str
    author_name: str  # as the reporter sees it signed
    text: str
    at: datetime


register(OWNER_ASSIGNED_V1, OwnerAssigned)
register(REPLY_POSTED_V1, ReplyPosted)
register(DEADLINE_SET_V1, DeadlineSet)
register(DEADLINE_NEAR_V1, DeadlineNear)
register(ESCALATED_V1, Escalated)
register(ISSUE_ACKNOWLEDGED_V1, IssueAcknowledged)
register(HANDOFF_REQUESTED_V1, HandoffRequested)
register(HANDOFF_DECLINED_V1, HandoffDeclined)
register(HELP_REQUESTED_V1, HelpRequested)
register(HELP_ANSWERED_V1, HelpAnswered)
register(ISSUE_RESOLVED_V1, IssueResolved)
register(ISSUE_REOPENED_V1, IssueReopened)
