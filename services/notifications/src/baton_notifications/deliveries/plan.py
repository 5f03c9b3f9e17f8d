"""Who must be told what about an ownership event: one notice per person."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from baton_contracts import (
    DeadlineNear,
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    HelpAnswered,
    HelpRequested,
    IssueDuplicateLinked,
    IssueResolved,
    IssueUpdated,
    OwnerAssigned,
    Person,
)
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.directory import service as directory
from baton_notifications.issues import service as issues
from baton_notifications.recipients import service as recipients
from baton_notifications.reporters.models import InternalReporter


@dataclass(frozen=True)
class Notice:
    kind: str
    recipient_id: str
    person: Person | None  # None: nobody by that id in the directory, so no address
    due_at: datetime | None = None
    new_text: str | None = None  # what the reporter wrote again
    # An urgent notice goes out at once, even in the recipient's quiet hours.
    urgent: bool = True


# Escalations cannot wait for anyone's working hours.
ALWAYS_URGENT = {"escalated"}


async def urgent(session: AsyncSession, event: BaseModel, kind: str) -> bool:
    """Whether a notice must go out at once: about an urgent issue, an escalation,
    or an issue whose priority is not known here (its report not read yet)."""
    priority = getattr(event, "priority", None)
    if priority is None:  # the reporter's events say none: the copy of the issue does
        priority = (await issues.copy_of(session, event.issue_id)).priority  # type: ignore[attr-defined]
    return kind in ALWAYS_URGENT or priority is None or priority == "urgent"


async def find(session: AsyncSession, person_id: str) -> Person | None:
    """The catalog's entry for a person, else the address they registered themselves."""
    found = await directory.person(session=session, person_id=person_id)
    if found is not None:
        return found
    prefs = await recipients.preferences(session=session, person_id=person_id)
    if prefs is None or not prefs.email:
        return None
    return Person(id=person_id, name=prefs.name or person_id, email=prefs.email)


async def _person(session: AsyncSession, person_id: str, kind: str, **kw: object) -> Notice:
    found = await find(session, person_id)
    return Notice(kind=kind, recipient_id=person_id, person=found, **kw)  # type: ignore[arg-type]


async def notices(event: BaseModel, *, session: AsyncSession) -> list[Notice]:
    found = await _notices(event, session)
    return [replace(n, urgent=await urgent(session, event, n.kind)) for n in found]


async def _internal_reporter(session: AsyncSession, issue_id: str, kind: str) -> list[Notice]:
    """The internal customer who reported the issue, remembered from issues.reported.
    Nobody is left holding anything, so an employee with no known address is
    skipped rather than a failed delivery to escalate."""
    reporter = await session.get(InternalReporter, issue_id)
    if reporter is None:
        return []
    found = await find(session, reporter.reporter_id)
    return [Notice(kind, reporter.reporter_id, found)] if found else []


# The events anyone is told of (``_notices`` below); the rest (acknowledged,
# reopened, the clocks' DeadlineSet) are passed over before any transaction.
TOLD_OF = (
    OwnerAssigned, HandoffRequested, HandoffDeclined, HelpRequested, HelpAnswered,
    DeadlineNear, Escalated, IssueUpdated, IssueDuplicateLinked, IssueResolved,
)  # fmt: skip


async def _notices(event: BaseModel, session: AsyncSession) -> list[Notice]:
    match event:
        case OwnerAssigned():
            told = [Notice("assigned", event.owner.id, event.owner)]
            if event.via == "handoff" and event.previous_owner_id:
                # The requester learns their hand-off was accepted.
                told.append(await _person(session, event.previous_owner_id, "handoff_accepted"))
            if event.via in ("handoff", "escalation"):
                # The internal customer learns who holds their request now.
                told += await _internal_reporter(session, event.issue_id, "reassigned")
            return told
        case HandoffRequested():
            if event.to_person_id:
                return [await _person(session, event.to_person_id, "handoff_requested")]
            people = await directory.liaisons(session=session, department=event.to_department)
            if not people:
                return [Notice("handoff_requested", f"department:{event.to_department}", None)]
            return [Notice("handoff_requested", p.id, p) for p in people]
        case HandoffDeclined():
            return [await _person(session, event.owner_id, "handoff_declined")]
        case HelpRequested():
            people = await directory.liaisons(session=session, department=event.helping_department)
            if not people:
                dept = f"department:{event.helping_department}"
                return [Notice("help_requested", dept, None, event.due_at)]
            return [Notice("help_requested", p.id, p, event.due_at) for p in people]
        case HelpAnswered():
            return [await _person(session, event.owner_id, "help_answered")]
        case DeadlineNear():
            # A help clock is the helping department's to beat; the others, the owner's.
            if event.deadline == "help" and event.helping_department:
                people = await directory.liaisons(
                    session=session, department=event.helping_department
                )
                return [Notice("deadline_near", p.id, p, event.due_at) for p in people]
            return [await _person(session, event.owner_id, "deadline_near", due_at=event.due_at)]
        case Escalated():
            return [Notice("escalated", event.to.id, event.to, event.due_at)]
        case IssueUpdated() | IssueDuplicateLinked():
            return await _owner_told(session, event)
        case IssueResolved():
            # The internal customer who reported it, when intake cannot answer them
            # itself (it answers everyone it can).
            return await _internal_reporter(session, event.issue_id, "resolved")
        case _:
            return []  # acknowledged, reopened: nobody needs to act


async def _owner_told(
    session: AsyncSession, event: IssueUpdated | IssueDuplicateLinked
) -> list[Notice]:
    """The reporter wrote again: the issue's owner hears their words. Before it has
    an owner there is nobody to tell (its owner will read the issue whole)."""
    copy = await issues.copy_of(session, event.issue_id)
    if copy.owner_id is None:
        return []
    if isinstance(event, IssueUpdated):
        text = event.text
    else:
        text = "\n\n".join(t for t in (event.subject, event.description) if t) or event.reason
    return [await _person(session, copy.owner_id, "reporter_wrote", new_text=text[:4_000])]
