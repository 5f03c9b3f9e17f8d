"""The conversation on an issue's page: the reporter's follow-ups, the owner's
replies to them and the internal notes, in the order they were written; and who
may write a reply or a note.

Replies come from the read model (``ReplyPosted``). Internal notes are never
events (ownership keeps them off Kafka, so no other service reads them), so the
page reads them from ownership's history API at each view, as the person
looking. The same read shows a reply the moment ownership took it, before its
event comes back; once it has, the event's copy is the one shown (same author,
moment and text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from baton_contracts import IssueReported
from baton_runtime.identity import Caller

from baton_workspace.commands import Ownership
from baton_workspace.issues.service import Current, Line
from baton_workspace.projection.fold import Folded

Kind = Literal["follow_up", "reply", "note"]


@dataclass(frozen=True)
class Said:
    at: datetime
    kind: Kind
    who: str
    text: str
    channel: str | None = None


@dataclass
class Recorded:
    """What ownership's history API said of replies and notes, or why it said nothing."""

    rows: list[dict[str, Any]]
    unread: str | None = None  # why the notes cannot be shown, in words


def may_write(now: Current, who: Caller) -> bool:
    """Whom ownership lets reply or note: the owner, the owning department's head;
    an administrator is shown the forms as for every other action. A resolved issue
    may still be answered."""
    if now.owner_id is None or now.state in ("reported", "routed"):
        return False
    heads_it = "head" in who.roles and now.department in who.departments
    return now.owner_id == who.person_id or who.administrator or heads_it


def reply_goes(reported: IssueReported | None) -> tuple[bool, str]:
    """(will the reporter be sent it, on which channel and how, in words)."""
    if reported is None:
        return True, "It goes out on the channel the reporter used, in the same thread."
    if not reported.reporter.reachable:
        return False, (
            "Intake has no address or connector for this reporter: your reply is kept in the "
            "history but sent to nobody. Tell them yourself."
        )
    if reported.channel == "email":
        return True, "It goes out by email, in the reporter's own thread, signed with your name."
    return True, (
        f"It goes out on {reported.channel}, the channel they used, in the same conversation "
        "(by email to the address they gave when that channel has no connector), signed with "
        "your name."
    )


async def read(ownership: Ownership, issue: Folded, auth: dict[str, str]) -> Recorded:
    """Ownership's record of the issue (its notes), as the person may read it."""
    if issue.owner_id is None:
        return Recorded([])  # ownership has not taken it: nothing can have been written
    answer = await ownership.history(issue.issue_id, auth=auth)
    if answer.ok and isinstance(answer.body, list):
        return Recorded([r for r in answer.body if isinstance(r, dict)])
    if answer.status == 404:
        return Recorded([])
    title, _ = answer.problem()
    return Recorded([], f"Internal notes cannot be shown just now ({title.lower()}).")


def _rows(recorded: Recorded, action: str) -> list[tuple[str, datetime, str]]:
    """(author, when, text) of ownership's history rows of one action; a row that
    does not read as one is left out."""
    found = []
    for row in recorded.rows:
        if row.get("action") != action:
            continue
        details, at, actor = row.get("details"), row.get("at"), row.get("actor_id")
        text = details.get("text") if isinstance(details, dict) else None
        if not (isinstance(text, str) and isinstance(at, str) and isinstance(actor, str)):
            continue
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            continue
        # Sorted among events' aware times: a time without a zone is UTC, as Baton writes.
        found.append((actor, moment if moment.tzinfo else moment.replace(tzinfo=UTC), text))
    return found


def thread(issue: Folded, names: dict[str, str], recorded: Recorded) -> list[Said]:
    """Follow-ups, replies and notes, oldest first."""
    said = [Said(u.updated_at, "follow_up", "the reporter", u.text, u.channel)
            for u in issue.follow_ups]  # fmt: skip
    channel = issue.reported.channel if issue.reported else None
    heard = set()
    for r in issue.replies:
        heard.add((r.actor_id, r.at, r.text))
        said.append(Said(r.at, "reply", names.get(r.actor_id, r.author_name), r.text, channel))
    for actor, at, text in _rows(recorded, "replied"):
        if (actor, at, text) not in heard:  # taken by ownership, its event not back yet
            said.append(Said(at, "reply", names.get(actor, actor), text, channel))
    for actor, at, text in _rows(recorded, "noted"):
        said.append(Said(at, "note", names.get(actor, actor), text))
    return sorted(said, key=lambda s: s.at)


def history_lines(said: list[Said]) -> list[Line]:
    """The history's word for each reply and note (their text is in the conversation)."""
    what = {"reply": "Replied to the reporter", "note": "Wrote an internal note"}
    return [Line(s.at, s.who, what[s.kind]) for s in said if s.kind in what]
