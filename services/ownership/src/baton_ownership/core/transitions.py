"""The lifecycle's rules as plain functions. Each takes the issue as it is, who
acts and what they saw, and returns the ``Change`` to make (the next state, its
history entry, the events to publish) or raises a refusal. No session, no I/O:
``store.apply`` writes a change in the caller's transaction.

The version is checked last: a caller learns first what would stop the change
at any version (who acts, the state, the target), then whether to reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from baton_contracts import DeadlineSet, Person, RerouteRequested
from baton_contracts import ownership as events

from baton_ownership.core.errors import Invalid, NotFound, NotYours, Stale, WrongState
from baton_ownership.core.state import (
    Actor,
    Change,
    Department,
    HandoffView,
    HelpView,
    Issue,
    Seat,
    aware,
)

Via = Literal["routing", "handoff", "rebalance", "escalation"]


# ---- checks -----------------------------------------------------------------------


def _owner_or_head(issue: Issue, by: Actor) -> None:
    if by.id == issue.owner_id or by.heads(issue.department):
        return
    raise NotYours(
        f"Only the owner of issue {issue.issue_id!r} or the head of {issue.department} may do this."
    )


def _refused(issue: Issue, detail: str) -> WrongState:
    return WrongState(detail, state=issue.state, version=issue.version)


def _not_resolved(issue: Issue) -> None:
    if issue.state == "resolved":
        raise _refused(issue, f"Issue {issue.issue_id!r} is resolved; reopen it first.")


def _current(issue: Issue, version: int) -> None:
    if version != issue.version:
        raise Stale(issue.issue_id, version, version=issue.version)


def _changed(
    issue: Issue,
    action: str,
    *,
    actor_id: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    **values: Any,
) -> Change:
    after = replace(issue, version=issue.version + 1, **values)
    return Change(
        before=issue, after=after, action=action, actor_id=actor_id, at=now, details=details or {}
    )


def _owned_by(seat: Seat, *, now: datetime) -> dict[str, Any]:
    """The values that make ``seat``'s person the owner, not yet acknowledged."""
    return dict(
        owner_id=seat.person.id,
        owner_name=seat.person.name,
        owner_email=seat.person.email,
        assigned_at=now,
        state="assigned",
        acknowledged_at=None,
    )


def owner_assigned(
    issue: Issue,
    *,
    via: Via,
    previous_owner_id: str | None,
    routing_reason: str | None = None,
    acknowledge_due_at: datetime | None = None,
    resolve_due_at: datetime | None = None,
    on_call_layer: int | None = None,
    clocks: Sequence[DeadlineSet] = (),
) -> events.OwnerAssigned:
    """The new owner, with what they must do by when (the clocks this assignment
    started; None where it started none), and the on-call layer that called them.
    ``clocks``: the clocks started with it, said in the event (their due times too)."""
    due = {clock.deadline: clock.due_at for clock in clocks if clock.help_id is None}
    acknowledge_due_at = acknowledge_due_at or due.get("acknowledge")
    resolve_due_at = resolve_due_at or due.get("resolve")
    return events.OwnerAssigned(
        issue_id=issue.issue_id,
        department=issue.department,
        owner=issue.owner,
        assigned_at=issue.assigned_at,
        via=via,
        previous_owner_id=previous_owner_id,
        hop=issue.hop,
        version=issue.version,
        priority=issue.priority,  # type: ignore[arg-type]
        routing_reason=routing_reason,
        acknowledge_due_at=acknowledge_due_at,
        resolve_due_at=resolve_due_at,
        on_call_layer=on_call_layer,
        clocks=list(clocks),
    )


def with_clocks(change: Change, clocks: Sequence[DeadlineSet]) -> Change:
    """``change`` with the clocks started for its new owner said in its
    ``OwnerAssigned`` (a clock started on ``change.after`` is known only once the
    rules have decided it)."""
    due = {clock.deadline: clock.due_at for clock in clocks if clock.help_id is None}
    said = tuple(
        event.model_copy(
            update={"clocks": [*event.clocks, *clocks]}
            | {f"{kind}_due_at": at for kind, at in due.items()}
        )
        if isinstance(event, events.OwnerAssigned)
        else event
        for event in change.events
    )
    return replace(change, events=said)


# ---- assignment, rebalancing, escalation (the system acts) ---------------------------


def assign(*, issue_id: str, department: str, to: Seat, priority: str, now: datetime) -> Issue:
    """A newly routed issue's first state: the head holds it when no liaison was free."""
    return Issue(
        issue_id=issue_id,
        department=department,
        owner_id=to.person.id,
        owner_name=to.person.name,
        owner_email=to.person.email,
        assigned_at=now,
        department_since=now,
        priority=priority,
        held_by_head=to.role == "head",
    )


def rebalance(issue: Issue, *, to: Seat, actor_id: str, now: datetime) -> Change:
    """An issue the head held passes to a liaison who came free."""
    change = _changed(
        issue, "rebalanced", actor_id=actor_id, now=now, details={"from": issue.owner_id},
        held_by_head=False, **_owned_by(to, now=now),
    )  # fmt: skip
    return change.emitting(
        owner_assigned(change.after, via="rebalance", previous_owner_id=issue.owner_id)
    )


def escalate(
    issue: Issue,
    *,
    to: Seat,
    moved: bool,
    reason: str,
    level: int,
    actor_id: str,
    now: datetime,
    due_at: datetime | None = None,
    help_id: int | None = None,
    on_call_layer: int | None = None,
    acknowledge_due_at: datetime | None = None,
) -> Change:
    """One step of the chain: ``to`` takes the issue over (``moved``) or is told.
    For an urgent issue outside working hours, the step may be the next on-call layer.
    ``acknowledge_due_at``: when the one who takes it over must have acknowledged."""
    values = (_owned_by(to, now=now) | {"held_by_head": to.role == "head"}) if moved else {}
    details = {"reason": reason, "level": level, "to": to.person.id}
    if on_call_layer is not None:
        details["on_call_layer"] = on_call_layer
    change = _changed(issue, "escalated", actor_id=actor_id, now=now, details=details, **values)
    if moved:
        change = change.emitting(
            owner_assigned(
                change.after, via="escalation", previous_owner_id=issue.owner_id,
                acknowledge_due_at=acknowledge_due_at, on_call_layer=on_call_layer,
            )
        )  # fmt: skip
    return change.emitting(
        events.Escalated(
            **change.fields,
            reason=reason,  # type: ignore[arg-type]
            level=level,
            moved=moved,
            due_at=due_at,
            help_id=help_id,
            to=to.person,
            on_call_layer=on_call_layer,
        )
    )


def silo_alarm(issue: Issue, *, head: Person, actor_id: str, now: datetime) -> Change:
    """Too many departments have held the issue: the head of customer service is told."""
    change = _changed(
        issue, "silo_alarm", actor_id=actor_id, now=now, details={"hop": issue.hop, "to": head.id}
    )
    return change.emitting(
        events.Escalated(**change.fields, reason="silo_alarm", level=0, moved=False, to=head)
    )


# ---- what people do -------------------------------------------------------------------


def acknowledge(issue: Issue, *, by: Actor, version: int, now: datetime) -> Change:
    _owner_or_head(issue, by)
    if issue.state != "assigned":
        raise _refused(
            issue,
            f"Issue {issue.issue_id!r} is {issue.state}; only an assigned issue can be "
            "acknowledged.",
        )
    _current(issue, version)
    change = _changed(
        issue, "acknowledge", actor_id=by.id, now=now, state="acknowledged", acknowledged_at=now
    )
    return change.emitting(events.IssueAcknowledged(**change.fields))


def check_handoff_request(
    issue: Issue, *, by: Actor, to: Department, to_person_id: str | None, version: int
) -> None:
    """Refuse a hand-off that may not be asked for; ``open_handoff`` then opens it
    (once its row, and so its id, exists)."""
    _owner_or_head(issue, by)
    _not_resolved(issue)
    if issue.pending is not None:
        raise _refused(
            issue, f"Issue {issue.issue_id!r} already has a hand-off waiting for an answer."
        )
    if not to.known:
        raise Invalid(
            f"There is no department {to.name!r} to hand off to.", title="Unknown department"
        )
    if to_person_id is not None and not to.has(to_person_id):
        raise Invalid(
            f"{to_person_id!r} is not a liaison or head of {to.name}.", title="Unknown receiver"
        )
    if to.name == issue.department and to_person_id in (None, issue.owner_id):
        raise Invalid(
            "A hand-off within the same department must name another person.",
            title="Nothing to hand off",
        )
    _current(issue, version)


def open_handoff(issue: Issue, *, handoff: HandoffView, actor_id: str, now: datetime) -> Change:
    """Ask the hand-off's receiver to take the issue; the owner stays accountable meanwhile."""
    details = {
        "handoff_id": handoff.id,
        "to_department": handoff.to_department,
        "to_person_id": handoff.to_person_id,
        "reason": handoff.reason,
    }
    change = _changed(
        issue, "handoff_requested", actor_id=actor_id, now=now, details=details, pending=handoff
    )
    return change.emitting(
        events.HandoffRequested(
            **change.fields,
            handoff_id=handoff.id,
            to_department=handoff.to_department,
            to_person_id=handoff.to_person_id,
            reason=handoff.reason,
        )
    )


def _receiver(issue: Issue, by: Actor, handoff_id: int, handoff: HandoffView | None) -> Seat:
    """The seat in which ``by`` may answer the open hand-off ``handoff_id``."""
    if handoff is None or handoff.issue_id != issue.issue_id:
        raise NotFound(
            f"Issue {issue.issue_id!r} has no hand-off {handoff_id}.", title="Hand-off not found"
        )
    if handoff.status != "requested":
        raise _refused(issue, f"Hand-off {handoff_id} was already {handoff.status}.")
    seat = by.seat_in(handoff.to_department)
    if seat is None or not (handoff.to_person_id in (None, by.id) or seat.role == "head"):
        raise NotYours(
            f"Only the receiver of hand-off {handoff_id} in {handoff.to_department} may answer it.",
            title="Not your hand-off",
        )
    return seat


def accept_handoff(
    issue: Issue,
    *,
    by: Actor,
    handoff_id: int,
    handoff: HandoffView | None,
    version: int,
    now: datetime,
    resolve_due_at: datetime | None = None,
) -> Change:
    """The receiver becomes the one owner, acknowledged; a new department is one hop
    more. Their own resolve clock starts (``resolve_due_at``, as the caller computed)."""
    seat = _receiver(issue, by, handoff_id, handoff)
    _current(issue, version)
    moved = seat.department != issue.department
    values = _owned_by(seat, now=now) | dict(
        department=seat.department, state="acknowledged", acknowledged_at=now,
        hop=issue.hop + (1 if moved else 0), held_by_head=False,
        department_since=now if moved else issue.department_since, pending=None,
    )  # fmt: skip
    change = _changed(
        issue,
        "handoff_accepted",
        actor_id=by.id,
        now=now,
        details={"handoff_id": handoff_id},
        **values,
    )
    return change.emitting(
        owner_assigned(
            change.after,
            via="handoff",
            previous_owner_id=issue.owner_id,
            resolve_due_at=resolve_due_at,
        )
    )


def decline_handoff(
    issue: Issue,
    *,
    by: Actor,
    handoff_id: int,
    handoff: HandoffView | None,
    version: int,
    reason: str,
    suggested_department: str | None,
    now: datetime,
) -> Change:
    """The issue stays with its owner. A decline that names no better department
    asks routing to route the issue again (``RerouteRequested``)."""
    seat = _receiver(issue, by, handoff_id, handoff)
    _current(issue, version)
    change = _changed(
        issue, "handoff_declined", actor_id=by.id, now=now,
        details={"handoff_id": handoff_id, "reason": reason}, pending=None,
    )  # fmt: skip
    change = change.emitting(
        events.HandoffDeclined(
            **change.fields,
            handoff_id=handoff_id,
            to_department=seat.department,
            reason=reason,
            suggested_department=suggested_department,
        )
    )
    if suggested_department is None:
        change = change.emitting(
            RerouteRequested(
                issue_id=issue.issue_id,
                declined_by=seat.department,
                reason=reason,
                requested_at=now,
            )
        )
    return change


def check_help_request(issue: Issue, *, by: Actor, helping: Department, version: int) -> None:
    """Refuse a help request that may not be made; ``open_help`` then makes it."""
    _owner_or_head(issue, by)
    _not_resolved(issue)
    if helping.name == issue.department:
        raise Invalid(
            "Help is asked of another department; the owner's own department "
            "already holds the issue.",
            title="Ask another department",
        )
    if not helping.known:
        raise Invalid(
            f"There is no department {helping.name!r} to ask.", title="Unknown department"
        )
    _current(issue, version)


def open_help(
    issue: Issue, *, help: HelpView, actor_id: str, now: datetime, question: str | None = None
) -> Change:
    """Ask another department for help; ownership does not move."""
    change = _changed(
        issue, "help_requested", actor_id=actor_id, now=now,
        details={"help_id": help.id, "department": help.helping_department},
    )  # fmt: skip
    return change.emitting(
        events.HelpRequested(
            **change.fields,
            help_id=help.id,
            helping_department=help.helping_department,
            due_at=help.due_at,
            question=question,
        )
    )


def answer_help(
    issue: Issue,
    *,
    by: Actor,
    help_id: int,
    help: HelpView | None,
    version: int,
    now: datetime,
    answer: str | None = None,
) -> Change:
    """The helping department answers; late answers count as such on its scorecard."""
    if help is None or help.issue_id != issue.issue_id:
        raise NotFound(
            f"Issue {issue.issue_id!r} has no help request {help_id}.",
            title="Help request not found",
        )
    if by.seat_in(help.helping_department) is None:
        raise NotYours(
            f"Only {help.helping_department}'s liaisons or head may answer this help request.",
            title="Not your help request",
        )
    if help.status != "open":
        raise _refused(issue, f"Help request {help_id} was already answered.")
    _current(issue, version)
    on_time = now <= aware(help.due_at)
    change = _changed(
        issue, "help_answered", actor_id=by.id, now=now,
        details={"help_id": help_id, "on_time": on_time},
    )  # fmt: skip
    return change.emitting(
        events.HelpAnswered(
            **change.fields,
            help_id=help_id,
            helping_department=help.helping_department,
            on_time=on_time,
            answer=answer,
        )
    )


def resolve(issue: Issue, *, by: Actor, version: int, resolution: str, now: datetime) -> Change:
    """Resolving also answers a waiting hand-off: nothing is left to hand off."""
    _owner_or_head(issue, by)
    if issue.state == "resolved":
        raise _refused(issue, f"Issue {issue.issue_id!r} is already resolved.")
    _current(issue, version)
    change = _changed(
        issue, "resolve", actor_id=by.id, now=now, details={"resolution": resolution},
        state="resolved", resolved_at=now, held_by_head=False, pending=None,
    )  # fmt: skip
    return change.emitting(events.IssueResolved(**change.fields, resolution=resolution))


def reopen(issue: Issue, *, by: Actor, version: int, reason: str, now: datetime) -> Change:
    """A resolved issue comes back to its owner, acknowledged, for a new stay."""
    _owner_or_head(issue, by)
    if issue.state != "resolved":
        raise _refused(
            issue,
            f"Issue {issue.issue_id!r} is {issue.state}; only a resolved issue can be reopened.",
        )
    _current(issue, version)
    change = _changed(
        issue, "reopen", actor_id=by.id, now=now, details={"reason": reason},
        state="acknowledged", resolved_at=None, department_since=now,
    )  # fmt: skip
    return change.emitting(events.IssueReopened(**change.fields, reason=reason))


def remark(
    issue: Issue, *, by: Actor, public: bool, text: str, author_name: str, now: datetime
) -> Change:
    """A reply to the reporter (``public``: intake sends it on their channel and
    thread) or an internal note (never sent). Either is in the issue's history; the
    owner, the state and the version stay as they are, so nobody's next change is
    stale for it. A resolved issue may still be answered."""
    _owner_or_head(issue, by)
    change = Change(
        before=issue, after=issue, action="replied" if public else "noted", actor_id=by.id,
        at=now, details={"text": text},
    )  # fmt: skip
    if not public:
        return change
    return change.emitting(
        events.ReplyPosted(
            issue_id=issue.issue_id, department=issue.department, owner_id=issue.owner_id,
            actor_id=by.id, author_name=author_name, text=text, at=now,
        )
    )  # fmt: skip
