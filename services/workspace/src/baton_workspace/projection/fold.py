"""An issue's state, computed from its journal: a pure function of the set of
events, whatever order they came in and however often.

Ownership's events are applied in the order of the version they carry (several
events of one change share a version: the owner first, then what it caused);
the others in the order they happened. No session, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import baton_contracts as contracts
from pydantic import BaseModel

# An event's kind (its type's name) and the model its data is read with.
MODELS: dict[str, type[BaseModel]] = {
    "reported": contracts.IssueReported,
    "updated": contracts.IssueUpdated,
    "duplicate_linked": contracts.IssueDuplicateLinked,
    "routed": contracts.IssueRouted,
    "owner_assigned": contracts.OwnerAssigned,
    "acknowledged": contracts.IssueAcknowledged,
    "handoff_requested": contracts.HandoffRequested,
    "handoff_declined": contracts.HandoffDeclined,
    "help_requested": contracts.HelpRequested,
    "help_answered": contracts.HelpAnswered,
    "resolved": contracts.IssueResolved,
    "reopened": contracts.IssueReopened,
    "escalated": contracts.Escalated,
    "replied": contracts.ReplyPosted,
    "deadline_near": contracts.DeadlineNear,
    "deadline_set": contracts.DeadlineSet,
    "delivery_sent": contracts.DeliverySent,
    "delivery_failed": contracts.DeliveryFailed,
    "rated": contracts.IssueRated,
}
# A reply carries no version (it changes none): it takes its place by time, with
# the reporter's own words, not among ownership's versioned changes.
OWNERSHIP = {
    "owner_assigned", "acknowledged", "handoff_requested", "handoff_declined",
    "help_requested", "help_answered", "resolved", "reopened", "escalated",
    "deadline_near", "deadline_set",
}  # fmt: skip
# Within one version: the new owner, then the change, then what it caused.
_RANK = {"owner_assigned": 0, "escalated": 2, "deadline_set": 3, "deadline_near": 4}


@dataclass(frozen=True)
class Entry:
    """One journal row, its data read with its model."""

    event_id: str
    kind: str
    at: datetime
    version: int | None
    event: BaseModel

    @classmethod
    def of(cls, *, event_id: str, kind: str, data: dict[str, Any]) -> Entry:
        event = MODELS[kind].model_validate(data)
        return cls(event_id, kind, when(event), getattr(event, "version", None), event)

    def order(self) -> tuple[Any, ...]:
        if self.kind in OWNERSHIP:
            return (1, self.version or 0, _RANK.get(self.kind, 1), self.at, self.event_id)
        return (0, 0, 0, self.at, self.event_id)


def when(event: BaseModel) -> datetime:
    """When the event's change happened, as its producer says."""
    for name in (
        "at", "assigned_at", "reported_at", "updated_at", "routed_at", "linked_at", "set_at",
        "sent_at", "failed_at", "rated_at",
    ):  # fmt: skip
        moment = getattr(event, name, None)
        if isinstance(moment, datetime):
            return moment
    raise ValueError(f"{type(event).__name__} says not when it happened")


@dataclass
class StayRow:
    seq: int
    department: str
    via: str
    owner_id: str
    started_at: datetime
    acknowledge_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    ended_by: str | None = None
    owners: list[str] = field(default_factory=list)  # everyone who held it in this stay
    marks: list[tuple[datetime, str, str]] = field(default_factory=list)  # (at, kind, label)


@dataclass
class ActRow:
    kind: str
    department: str
    person_id: str
    at: datetime
    on_time: bool | None = None


@dataclass
class HelpRow:
    help_id: int
    helping_department: str
    requested_by: str
    requested_at: datetime
    question: str | None
    due_at: datetime | None = None
    status: str = "open"
    answered_by: str | None = None
    answered_at: datetime | None = None
    on_time: bool | None = None
    answer: str | None = None


@dataclass
class Pending:
    handoff_id: int
    to_department: str
    to_person_id: str | None
    reason: str
    from_owner_id: str
    requested_at: datetime


@dataclass
class Folded:
    """Everything the journal says of one issue."""

    issue_id: str
    reported: contracts.IssueReported | None = None
    follow_ups: list[contracts.IssueUpdated] = field(default_factory=list)
    replies: list[contracts.ReplyPosted] = field(default_factory=list)  # to the reporter, by time
    duplicates: list[contracts.IssueDuplicateLinked] = field(default_factory=list)
    decisions: list[contracts.IssueRouted] = field(default_factory=list)
    department: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    state: str = "reported"
    version: int = 0
    hop: int = 0
    assigned_at: datetime | None = None
    department_since: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    pending: Pending | None = None
    deadlines: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # kind -> (v, due)
    escalation_level: int = 0
    silo_alarms: int = 0
    declines: int = 0
    stays: list[StayRow] = field(default_factory=list)
    acts: list[ActRow] = field(default_factory=list)
    helps: dict[int, HelpRow] = field(default_factory=dict)
    notices: dict[int, Entry] = field(default_factory=dict)  # delivery id -> its last word
    rating: contracts.IssueRated | None = None  # the reporter's first
    history: list[Entry] = field(default_factory=list)  # every entry, in order
    updated_at: datetime | None = None

    @property
    def decision(self) -> contracts.IssueRouted | None:
        """Routing's latest decision (a reroute is a later attempt)."""
        return max(self.decisions, key=lambda d: d.attempt) if self.decisions else None

    @property
    def rated_for(self) -> tuple[str, str]:
        """(department, person) a rating counts for: the stay that ended resolved
        last before it was given (its resolver), else the latest resolved one, else
        whoever holds the issue; ("", "") while the workspace knows none."""
        resolved = [s for s in self.stays if s.outcome == "resolved"]
        if self.rating is not None:
            before = [s for s in resolved if s.ended_at and s.ended_at <= self.rating.rated_at]
            resolved = before or resolved
        if resolved:
            return resolved[-1].department, resolved[-1].ended_by or resolved[-1].owner_id
        return self.department or "", self.owner_id or ""

    @property
    def next_deadline(self) -> tuple[str, datetime] | None:
        kind = {"assigned": "acknowledge", "acknowledged": "resolve"}.get(self.state)
        if kind is None or kind not in self.deadlines:
            return None
        return kind, self.deadlines[kind][1]

    @property
    def departments(self) -> set[str]:
        """Every department that held, was asked to take, or to help with the issue."""
        seen = {s.department for s in self.stays} | {
            h.helping_department for h in self.helps.values()
        }
        seen |= {d.department for d in self.decisions}
        if self.pending is not None:
            seen.add(self.pending.to_department)
        if self.department:
            seen.add(self.department)
        return seen


def fold(issue_id: str, entries: list[Entry]) -> Folded:
    issue = Folded(issue_id)
    for entry in sorted(entries, key=Entry.order):
        _apply(issue, entry)
        issue.history.append(entry)
        if issue.updated_at is None or entry.at > issue.updated_at:
            issue.updated_at = entry.at
    return issue


def _stay(issue: Folded) -> StayRow | None:
    return issue.stays[-1] if issue.stays and issue.stays[-1].ended_at is None else None


def _begin(issue: Folded, *, via: str, at: datetime, owner_id: str, acknowledged: bool) -> None:
    assert issue.department is not None
    stay = StayRow(
        seq=len(issue.stays) + 1, department=issue.department, via=via, owner_id=owner_id,
        started_at=at, owners=[owner_id],
    )  # fmt: skip
    if acknowledged:
        stay.acknowledged_at, stay.acknowledged_by = at, owner_id
    issue.stays.append(stay)


def _end(issue: Folded, *, at: datetime, outcome: str, by: str) -> None:
    stay = _stay(issue)
    if stay is not None:
        stay.ended_at, stay.outcome, stay.ended_by = at, outcome, by


def _mark(issue: Folded, at: datetime, kind: str, label: str) -> None:
    stay = _stay(issue) or (issue.stays[-1] if issue.stays else None)
    if stay is not None:
        stay.marks.append((at, kind, label))


def _apply(issue: Folded, entry: Entry) -> None:
    e = entry.event
    if entry.version is not None:
        issue.version = max(issue.version, entry.version)
    match e:
        case contracts.IssueReported():
            issue.reported = e
        case contracts.IssueUpdated():
            issue.follow_ups.append(e)
        case contracts.ReplyPosted():
            issue.replies.append(e)
        case contracts.IssueDuplicateLinked():
            issue.duplicates.append(e)
        case contracts.IssueRouted():
            issue.decisions.append(e)
            if issue.state == "reported":
                issue.state = "routed"
        case contracts.OwnerAssigned():
            _assigned(issue, e)
        case contracts.IssueAcknowledged():
            issue.state, issue.acknowledged_at = "acknowledged", e.at
            stay = _stay(issue)
            if stay is not None and stay.acknowledged_at is None:
                stay.acknowledged_at, stay.acknowledged_by = e.at, e.actor_id
        case contracts.HandoffRequested():
            issue.pending = Pending(
                e.handoff_id, e.to_department, e.to_person_id, e.reason, e.owner_id, e.at
            )
            _mark(issue, e.at, "handoff_requested", f"hand-off asked of {e.to_department}")
        case contracts.HandoffDeclined():
            issue.pending = None
            issue.declines += 1
            issue.acts.append(ActRow("declined", e.to_department, e.actor_id, e.at))
            _mark(issue, e.at, "handoff_declined", f"declined by {e.to_department}")
        case contracts.HelpRequested():
            issue.helps[e.help_id] = HelpRow(
                e.help_id, e.helping_department, e.actor_id, e.at, e.question, e.due_at
            )
            _mark(issue, e.at, "help_requested", f"help asked of {e.helping_department}")
        case contracts.HelpAnswered():
            help_row = issue.helps.setdefault(
                e.help_id, HelpRow(e.help_id, e.helping_department, e.owner_id, e.at, None)
            )
            help_row.status, help_row.answered_by, help_row.answered_at = (
                "answered",
                e.actor_id,
                e.at,
            )
            help_row.on_time, help_row.answer = e.on_time, e.answer
            issue.acts.append(
                ActRow("help_answered", e.helping_department, e.actor_id, e.at, e.on_time)
            )
            _mark(issue, e.at, "help_answered", f"{e.helping_department} answered")
        case contracts.IssueResolved():
            issue.state, issue.resolved_at, issue.resolution = "resolved", e.at, e.resolution
            issue.pending = None
            _end(issue, at=e.at, outcome="resolved", by=e.actor_id)
        case contracts.IssueReopened():
            issue.state, issue.resolved_at, issue.department_since = "acknowledged", None, e.at
            _begin(issue, via="reopen", at=e.at, owner_id=e.owner_id, acknowledged=True)
        case contracts.Escalated():
            issue.escalation_level = max(issue.escalation_level, e.level)
            kind = "silo_alarm" if e.reason == "silo_alarm" else "escalated"
            issue.silo_alarms += kind == "silo_alarm"
            issue.acts.append(ActRow(kind, e.department, e.to.id, e.at))
            _mark(issue, e.at, kind, f"{e.reason.replace('_', ' ')}: {e.to.name}")
        case contracts.DeadlineSet():
            _clock(issue, e)
        case contracts.DeliverySent() | contracts.DeliveryFailed():
            _noticed(issue, entry)
        case contracts.IssueRated():
            # One answer per issue: the first stands (applied in time order), as
            # intake and ownership take it.
            if issue.rating is None:
                issue.rating = e
        case _:
            pass  # DeadlineNear: in the history only


def _clock(issue: Folded, e: contracts.DeadlineSet) -> None:
    """A clock started or restarted: said by a ``DeadlineSet``, or by the
    ``OwnerAssigned`` whose assignment started it."""
    key = e.deadline if e.help_id is None else f"help:{e.help_id}"
    if key not in issue.deadlines or issue.deadlines[key][0] <= e.version:
        issue.deadlines[key] = (e.version, e.due_at)
    stay = _stay(issue)
    # A stay is judged by its first acknowledge clock (the scorecards' "on
    # time"): an escalation restarts the clock for the next person, it does
    # not give the department more time. The issue's countdown (above) shows
    # the newest.
    if (
        e.deadline == "acknowledge"
        and stay is not None
        and stay.department == e.department
        and stay.acknowledge_due_at is None
    ):
        stay.acknowledge_due_at = e.due_at
    if e.help_id is not None and e.help_id in issue.helps:
        issue.helps[e.help_id].due_at = e.due_at


def _assigned(issue: Folded, e: contracts.OwnerAssigned) -> None:
    _owner(issue, e)
    # The clocks the assignment started (none from an older producer, which said
    # them in DeadlineSet events of their own), once the stay they belong to is open.
    for clock in e.clocks:
        _clock(issue, clock)


def _owner(issue: Folded, e: contracts.OwnerAssigned) -> None:
    moved = issue.department is not None and e.department != issue.department
    previous = issue.owner_id
    issue.owner_id, issue.owner_name, issue.hop = e.owner.id, e.owner.name, e.hop
    issue.assigned_at = e.assigned_at
    if e.via == "handoff":
        # Accepting is acknowledging: the receiver has taken the issue.
        issue.state, issue.acknowledged_at, issue.pending = "acknowledged", e.assigned_at, None
    else:
        issue.state, issue.acknowledged_at = "assigned", None
    if issue.department is None or moved:
        if moved:
            _end(issue, at=e.assigned_at, outcome="handed_off", by=previous or "")
            _mark(issue, e.assigned_at, "handoff_accepted", f"accepted by {e.owner.name}")
        issue.department, issue.department_since = e.department, e.assigned_at
        _begin(
            issue, via="handoff" if moved else e.via, at=e.assigned_at, owner_id=e.owner.id,
            acknowledged=e.via == "handoff",
        )  # fmt: skip
        return
    stay = _stay(issue)
    if stay is not None:  # a new holder within the same stay (rebalanced, escalated, passed on)
        stay.owner_id = e.owner.id
        stay.owners.append(e.owner.id)
        _mark(issue, e.assigned_at, "owner_changed", f"{e.via}: {e.owner.name}")


def _noticed(issue: Folded, entry: Entry) -> None:
    e = entry.event
    assert isinstance(e, contracts.DeliverySent | contracts.DeliveryFailed)
    known = issue.notices.get(e.delivery_id)
    if known is None or (known.at, known.event_id) <= (entry.at, entry.event_id):
        issue.notices[e.delivery_id] = entry
