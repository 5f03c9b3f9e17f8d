"""An issue's page, from its journal: what the reporter wrote, routing's
decision, who holds it, the clocks, the notices, the history and the journey;
and what the person looking at it can do next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import baton_contracts as contracts
from baton_runtime.identity import Caller

from baton_workspace import access, charts, web
from baton_workspace.projection.fold import Entry, Folded, HelpRow

RESOLUTIONS = [
    ("fixed", "Fixed"),
    ("refunded", "Refunded or credited"),
    ("replaced", "Replaced or re-sent"),
    ("explained", "Explained: nothing was wrong"),
    ("not_reproducible", "Could not reproduce"),
    ("other", "Other"),
]


@dataclass
class Current:
    """Who holds the issue and in what state: the read model's word, or ownership's
    own answer to an action just taken when that is newer."""

    state: str
    version: int
    owner_id: str | None
    department: str | None
    pending_id: int | None
    pending_to: str | None
    pending_to_person: str | None
    from_ownership: bool = False


def current(issue: Folded, answer: dict[str, Any] | None) -> Current:
    pending = issue.pending
    now = Current(
        issue.state, issue.version, issue.owner_id, issue.department,
        pending.handoff_id if pending else None, pending.to_department if pending else None,
        pending.to_person_id if pending else None,
    )  # fmt: skip
    if (
        answer
        and answer.get("issue_id") == issue.issue_id
        and answer.get("version", 0) > now.version
    ):
        handoff = answer.get("pending_handoff") or {}
        return Current(
            answer["state"], answer["version"], answer["owner_id"], answer["department"],
            handoff.get("id"), handoff.get("to_department"), handoff.get("to_person_id"), True,
        )  # fmt: skip
    return now


@dataclass
class Line:
    at: datetime
    who: str
    text: str
    quote: str | None = None


@dataclass
class Notice:
    at: datetime
    kind: str
    recipient: str
    channel: str
    status: str
    attempts: int
    reason: str | None


@dataclass
class Next:
    """What is asked of the viewer, in one sentence, and which actions they have."""

    say: str
    actions: set[str] = field(default_factory=set)
    helps: list[HelpRow] = field(default_factory=list)


def _name(names: dict[str, str], person_id: str | None) -> str:
    if not person_id:
        return "—"
    return names.get(person_id, person_id)


def _said(e: Any, names: dict[str, str]) -> tuple[str, str, str | None] | None:
    """(who, what they did, their words) for one event; None for what has a section
    of its own (clocks, notices); replies and notes come as ``history``'s ``more``."""
    who = _name(names, getattr(e, "actor_id", None))
    match e:
        case contracts.IssueReported():
            return f"the {e.reporter.kind}", f"Reported through {e.channel}", None
        case contracts.IssueUpdated():
            return "the reporter", "Wrote again", e.text
        case contracts.IssueDuplicateLinked():
            return "intake", "A near-duplicate was linked to it", e.reason
        case contracts.IssueRouted():
            again = f" (attempt {e.attempt})" if e.attempt > 1 else ""
            rule = e.rule_id or "no rule matched"
            return "routing", f"Routed to {web.label(e.department)}{again}, by {rule}", e.reason
        case contracts.OwnerAssigned():
            owner, where = e.owner.name, web.label(e.department)
            text = {
                "routing": f"Assigned to {owner} in {where}",
                "handoff": f"Accepted the hand-off: {where} holds it",
                "rebalance": f"Passed to {owner}, who came free",
                "escalation": f"Escalated to {owner}, who holds it now",
            }[e.via]
            return (owner if e.via == "handoff" else "ownership"), text, None
        case contracts.IssueAcknowledged():
            return who, "Acknowledged it", None
        case contracts.HandoffRequested():
            return who, f"Asked {web.label(e.to_department)} to take it", e.reason
        case contracts.HandoffDeclined():
            return who, f"Declined the hand-off for {web.label(e.to_department)}", e.reason
        case contracts.HelpRequested():
            where, due = web.label(e.helping_department), web.when(e.due_at)
            return who, f"Asked {where} for help, answer by {due}", e.question
        case contracts.HelpAnswered():
            late = "" if e.on_time else " (late)"
            return who, f"Answered for {web.label(e.helping_department)}{late}", e.answer
        case contracts.IssueResolved():
            return who, "Resolved it", e.resolution
        case contracts.IssueReopened():
            return who, "Reopened it", e.reason
        case contracts.Escalated():
            moved = ", who holds it now" if e.moved else ""
            why = e.reason.replace("_", " ").capitalize()
            return "ownership", f"{why}: escalated to {e.to.name}{moved}", None
        case contracts.DeadlineNear():
            return "ownership", f"The {e.deadline} deadline is near ({web.when(e.due_at)})", None
        case contracts.IssueRated():
            return "the reporter", f"Rated how it was handled: {e.rating} of 5", e.comment
    return None


def history(issue: Folded, names: dict[str, str], more: Iterable[Line] = ()) -> list[Line]:
    """Every event's line, and ``more`` (replies and notes), by time. The sort is
    stable: what happened at one moment keeps the journal's order (the owner, then
    what it caused)."""
    lines = []
    for entry in issue.history:
        said = _said(entry.event, names)
        if said is not None:
            lines.append(Line(entry.at, *said))
    return sorted([*lines, *more], key=lambda line: line.at)


def notices(issue: Folded, names: dict[str, str]) -> list[Notice]:
    found = []
    for entry in sorted(issue.notices.values(), key=Entry.order):
        e = entry.event
        assert isinstance(e, contracts.DeliverySent | contracts.DeliveryFailed)
        failed = isinstance(e, contracts.DeliveryFailed)
        found.append(
            Notice(
                entry.at, e.kind.replace("_", " "), _name(names, e.recipient_id), e.channel,
                "failed" if failed else "sent", e.attempts, e.reason if failed else None,
            )
        )  # fmt: skip
    return found


def journey(issue: Folded, names: dict[str, str], now: datetime) -> charts.Timeline | None:
    if not issue.stays:
        return None
    start = issue.reported.reported_at if issue.reported else issue.stays[0].started_at
    start = min(start, issue.stays[0].started_at)
    end = issue.resolved_at or now
    outcomes = {"handed_off": "handed off", "resolved": "resolved", None: "holds it now"}
    stays = [
        {
            "started_at": s.started_at,
            "ended_at": s.ended_at,
            "department": web.label(s.department),
            "holders": ", ".join(dict.fromkeys(_name(names, p) for p in s.owners)),
            "duration": web.span(s.started_at, s.ended_at or end),
            "outcome": outcomes.get(s.outcome, s.outcome or ""),
            "marks": s.marks,
        }
        for s in issue.stays
    ]
    return charts.timeline(stays, start=start, end=max(end, start))


def what_next(issue: Folded, now: Current, who: Caller, names: dict[str, str]) -> Next:
    """The one thing asked of the viewer, and the actions that are theirs."""
    mine = {d for d in who.departments} if not who.administrator else {now.department or ""}
    holds = now.owner_id == who.person_id
    heads_it = who.administrator or ("head" in who.roles and now.department in who.departments)
    owner = _name(names, now.owner_id)
    open_helps = [h for h in issue.helps.values() if h.status == "open"]
    helps_for_me = [h for h in open_helps if h.helping_department in who.departments]
    nxt = Next(say="")
    if now.state in ("reported", "routed"):
        nxt.say = (
            "Routing and ownership have not assigned it yet; it will appear here when they do."
        )
        return nxt
    if now.state == "resolved":
        nxt.say = f"Resolved. {owner} may reopen it if the customer says it is not fixed."
        if holds or heads_it:
            nxt.actions.add("reopen")
        return nxt
    if (
        now.pending_to
        and (now.pending_to in mine or who.administrator)
        and (now.pending_to_person in (None, who.person_id) or "head" in who.roles)
        and not holds
    ):
        nxt.say = (
            f"{owner} asks {web.label(now.pending_to)} to take this issue. Accept it to become "
            "its owner, or decline with a reason (it then stays with them)."
        )
        nxt.actions |= {"accept", "decline"}
    elif holds or heads_it:
        due = issue.deadlines.get("acknowledge" if now.state == "assigned" else "resolve")
        by = f" by {web.when(due[1])}" if due else ""
        if now.pending_to:
            nxt.say = (
                f"Waiting for {web.label(now.pending_to)} to accept the hand-off. You stay "
                "accountable until they do; resolve it yourself if that is quicker."
            )
            nxt.actions |= {"resolve", "help"}
        elif now.state == "assigned":
            nxt.say = f"Acknowledge it{by}, so the customer knows it is in hand."
            nxt.actions |= {"acknowledge", "handoff", "help", "resolve"}
        else:
            nxt.say = (
                f"Resolve it{by}. Hand it off if another department must fix it, or ask one for "
                "help and keep it."
            )
            nxt.actions |= {"resolve", "handoff", "help"}
        nxt.say = (
            "You own this issue. "
            if holds
            else f"{owner} owns it; as head of {web.label(now.department)} you may act too. "
        ) + nxt.say
    else:
        nxt.say = (
            f"{owner} ({web.label(now.department)}) holds this issue. Nothing is asked of you."
        )
    if helps_for_me:
        nxt.helps = helps_for_me
        nxt.actions.add("answer")
        asked = ", ".join(web.label(h.helping_department) for h in helps_for_me)
        nxt.say += f" {asked} was asked for help: answer below."
    return nxt


def sees_contact(who: Caller, now: Current) -> bool:
    """Contact details (the reporter's id, the external reference) are for the
    department that owns the issue."""
    return access.sees_all(who) or (
        now.department is not None and now.department in who.departments
    )
