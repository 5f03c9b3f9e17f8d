"""The issue as the lifecycle's rules see it: plain values, no session.

``Issue`` is one issue's ownership (who holds it, where, in what state, at what
version, and the hand-off waiting for an answer); ``Actor`` and ``Department``
are what the rules need to know of people; ``Change`` is what a transition
decides: the issue's next state, its history entry and the events to publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from baton_contracts import Person
from pydantic import BaseModel

State = Literal["assigned", "acknowledged", "resolved"]
Role = Literal["liaison", "head"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time Baton stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class HandoffView:
    """A hand-off as the rules need it: whose, where to, and whether it is still open."""

    id: int
    issue_id: str
    to_department: str
    to_person_id: str | None
    reason: str
    status: str = "requested"  # requested | accepted | declined | cancelled


@dataclass(frozen=True)
class HelpView:
    """A help request as the rules need it."""

    id: int
    issue_id: str
    helping_department: str
    due_at: datetime
    status: str = "open"  # open | answered


@dataclass(frozen=True)
class Issue:
    """One issue's ownership; its fields are ``issue_owners``' columns, plus the
    hand-off waiting for an answer."""

    issue_id: str
    department: str
    owner_id: str
    owner_name: str
    owner_email: str
    assigned_at: datetime
    department_since: datetime
    version: int = 1
    state: State = "assigned"
    priority: str = "normal"
    hop: int = 1  # how many departments have held it, the current one included
    held_by_head: bool = False  # the head holds it for want of a free liaison
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    pending: HandoffView | None = None

    @property
    def owner(self) -> Person:
        return Person(id=self.owner_id, name=self.owner_name, email=self.owner_email)


@dataclass(frozen=True)
class Seat:
    """A person's place in a department."""

    department: str
    role: Role
    person: Person


@dataclass(frozen=True)
class Actor:
    """Who acts, with their seats (by department) among the catalog's active members."""

    id: str
    seats: Mapping[str, Seat] = field(default_factory=dict)

    def seat_in(self, department: str) -> Seat | None:
        return self.seats.get(department)

    def heads(self, department: str) -> bool:
        seat = self.seat_in(department)
        return seat is not None and seat.role == "head"


@dataclass(frozen=True)
class Department:
    """A department's active members by person id; it is known while it has a head."""

    name: str
    roles: Mapping[str, Role] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return "head" in self.roles.values()

    def has(self, person_id: str) -> bool:
        return person_id in self.roles


@dataclass(frozen=True)
class Change:
    """What one transition decided: the issue before and after (one version on),
    the history entry (``action``, ``details``, who, when) and the events."""

    before: Issue
    after: Issue
    action: str
    actor_id: str
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    events: tuple[BaseModel, ...] = ()

    @property
    def fields(self) -> dict[str, Any]:
        """What every ownership event says of the change."""
        return event_fields(self.after, actor_id=self.actor_id, at=self.at)

    def emitting(self, *events: BaseModel) -> Change:
        return replace(self, events=self.events + events)


def event_fields(issue: Issue, *, actor_id: str, at: datetime) -> dict[str, Any]:
    return dict(
        issue_id=issue.issue_id,
        department=issue.department,
        owner_id=issue.owner_id,
        actor_id=actor_id,
        version=issue.version,
        at=at,
        priority=issue.priority,
    )
