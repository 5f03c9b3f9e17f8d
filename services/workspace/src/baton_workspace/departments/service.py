"""A department's page: its open issues, who holds what, its members."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.projection.models import DepartmentView, IssueView

OPEN = ("assigned", "acknowledged")
LIMIT = 200


@dataclass
class Member:
    person_id: str
    name: str
    role: str  # liaison | head
    open_issues: int = 0
    on_duty: bool | None = None  # None: ownership did not say
    capacity: int | None = None


async def names(session: AsyncSession) -> dict[str, str]:
    """Everyone the catalog names, by id (for showing people by name)."""
    found: dict[str, str] = {}
    for d in (await session.exec(select(DepartmentView))).all():
        found.update({p["id"]: p["name"] for p in d.liaisons})
        found[d.head_id] = d.head_name
    return found


async def department(session: AsyncSession, name: str) -> DepartmentView | None:
    return await session.get(DepartmentView, name)


async def all_departments(session: AsyncSession) -> list[str]:
    return list(
        (await session.exec(select(DepartmentView.name).order_by(DepartmentView.name))).all()
    )


async def open_issues(session: AsyncSession, name: str) -> list[IssueView]:
    rows = await session.exec(
        select(IssueView)
        .where(IssueView.department == name, col(IssueView.state).in_(OPEN))
        .order_by(col(IssueView.next_due_at).asc().nulls_last(), col(IssueView.issue_id))
        .limit(LIMIT)
    )
    return list(rows.all())


async def open_count(session: AsyncSession, name: str) -> int:
    return (
        await session.exec(
            select(func.count())
            .select_from(IssueView)
            .where(IssueView.department == name, col(IssueView.state).in_(OPEN))
        )
    ).one()


async def members(session: AsyncSession, view: DepartmentView) -> list[Member]:
    counts = dict(
        (
            await session.exec(
                select(IssueView.owner_id, func.count())
                .where(IssueView.department == view.name, col(IssueView.state).in_(OPEN))
                .group_by(IssueView.owner_id)
            )
        ).all()
    )
    people = [Member(p["id"], p["name"], "liaison") for p in view.liaisons]
    people.append(Member(view.head_id, view.head_name, "head"))
    for person in people:
        person.open_issues = counts.get(person.person_id, 0)
    return people
