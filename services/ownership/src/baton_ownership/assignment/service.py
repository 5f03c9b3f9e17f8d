"""Assigning an owner: the available liaison with the fewest open issues,
round-robin among equals; the department head holds the issue when no liaison
is available, until one is (``drain``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import DepartmentCursor, IssueOwner
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import Member


async def pick(*, session: AsyncSession, department: str) -> tuple[Member, bool] | None:
    """The next owner in ``department`` and whether they are its head (no liaison free)."""
    available = await directory.available_liaisons(session=session, department=department)
    if available:
        fewest = min(count for _, count in available)
        equals = [m for m, count in available if count == fewest]
        # Row lock: replicas assigning in the same department take turns.
        cursor = await session.get(DepartmentCursor, department, with_for_update=True)
        if cursor is None:
            cursor = DepartmentCursor(department=department)
        chosen = equals[cursor.next_index % len(equals)]
        cursor.next_index += 1
        session.add(cursor)
        return chosen, False
    head = await directory.head_of(session=session, department=department)
    return (head, True) if head is not None else None


async def assign(
    *,
    session: AsyncSession,
    issue_id: str,
    department: str,
    priority: str = "normal",
    now: datetime | None = None,
) -> IssueOwner | None:
    """Give a newly routed issue its owner; None when it already has one."""
    if await session.get(IssueOwner, issue_id) is not None:
        return None
    picked = await pick(session=session, department=department)
    if picked is None:
        raise LookupError(f"department {department!r} has neither liaisons nor a head")
    member, held_by_head = picked
    owner = IssueOwner(
        issue_id=issue_id,
        department=department,
        owner_id=member.person_id,
        owner_name=member.name,
        owner_email=member.email,
        priority=priority,
        held_by_head=held_by_head,
    )
    if now is not None:
        owner.assigned_at = owner.department_since = now
    session.add(owner)
    await session.flush()  # the primary key rejects a second owner here, not at commit
    return owner


async def held_by_head(*, session: AsyncSession, department: str) -> list[IssueOwner]:
    """Issues the head holds for want of a liaison, oldest first."""
    return list(
        (
            await session.exec(
                select(IssueOwner)
                .where(
                    IssueOwner.department == department,
                    IssueOwner.held_by_head == True,  # noqa: E712
                    IssueOwner.state != "resolved",
                )
                .order_by(IssueOwner.assigned_at)  # type: ignore[arg-type]
            )
        ).all()
    )


async def get(*, session: AsyncSession, issue_id: str) -> IssueOwner | None:
    return await session.get(IssueOwner, issue_id)
