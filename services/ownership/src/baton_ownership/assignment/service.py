"""Assigning an owner: round-robin among the department's liaisons."""

from __future__ import annotations

from baton_shared.events import IssueRouted, Person
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import DepartmentCursor, IssueOwner


async def next_liaison(*, session: AsyncSession, routed: IssueRouted) -> Person:
    """The department's next liaison in turn (its escalation contact if it has none)."""
    if not routed.liaisons:
        return routed.escalation_contact
    # Row lock: two replicas assigning in the same department take turns.
    cursor = await session.get(DepartmentCursor, routed.department, with_for_update=True)
    if cursor is None:
        cursor = DepartmentCursor(department=routed.department)
    liaison = routed.liaisons[cursor.next_index % len(routed.liaisons)]
    cursor.next_index += 1
    session.add(cursor)
    return liaison


async def assign(*, session: AsyncSession, routed: IssueRouted) -> IssueOwner | None:
    """Give a newly routed issue its owner; None when it already has one."""
    if await session.get(IssueOwner, routed.issue_id) is not None:
        return None
    liaison = await next_liaison(session=session, routed=routed)
    owner = IssueOwner(
        issue_id=routed.issue_id,
        department=routed.department,
        owner_id=liaison.id,
        owner_name=liaison.name,
        owner_email=liaison.email,
    )
    session.add(owner)
    await session.flush()  # the primary key rejects a second owner here, not at commit
    return owner


async def get(*, session: AsyncSession, issue_id: str) -> IssueOwner | None:
    return await session.get(IssueOwner, issue_id)
