"""Resolve departments and person ids to people, from the catalog routing publishes."""

from __future__ import annotations

from typing import Any

from baton_contracts import Calendar, Person
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.directory.models import DepartmentHours, DirectoryEntry


async def upsert_department(
    *, session: AsyncSession, department: str, liaisons: list[Person], head: Person
) -> None:
    current = {
        e.person_id: e
        for e in (
            await session.exec(
                select(DirectoryEntry).where(DirectoryEntry.department == department)
            )
        ).all()
    }
    wanted = {p.id: (p, "liaison") for p in liaisons}
    wanted[head.id] = (head, "head")
    for person_id, (person, role) in wanted.items():
        entry = current.get(person_id) or DirectoryEntry(
            department=department, person_id=person_id, role=role, name="", email=""
        )
        entry.role, entry.name, entry.email, entry.active = role, person.name, person.email, True
        session.add(entry)
    for person_id, entry in current.items():
        if person_id not in wanted:
            entry.active = False
            session.add(entry)
    await session.flush()


async def person(*, session: AsyncSession, person_id: str) -> Person | None:
    entry = (
        await session.exec(
            select(DirectoryEntry)
            .where(DirectoryEntry.person_id == person_id)
            .order_by(col(DirectoryEntry.active).desc())
        )
    ).first()
    if entry is None:
        return None
    return Person(id=entry.person_id, name=entry.name, email=entry.email)


async def liaisons(*, session: AsyncSession, department: str) -> list[Person]:
    """The department's active liaisons; its head when it has none."""
    entries = (
        await session.exec(
            select(DirectoryEntry)
            .where(DirectoryEntry.department == department, col(DirectoryEntry.active))
            .order_by(DirectoryEntry.person_id)
        )
    ).all()
    chosen = [e for e in entries if e.role == "liaison"] or [e for e in entries if e.role == "head"]
    return [Person(id=e.person_id, name=e.name, email=e.email) for e in chosen]


async def set_calendar(
    *, session: AsyncSession, department: str, calendar: Calendar | None
) -> None:
    row = await session.get(DepartmentHours, department) or DepartmentHours(department=department)
    row.calendar = calendar.model_dump(mode="json") if calendar else None
    session.add(row)


async def calendars_of(
    *, session: AsyncSession, person_ids: list[str]
) -> dict[str, list[tuple[str, dict[str, Any] | None]]]:
    """Each person's departments that list them now, in name order, with each
    department's calendar (None: it has none): one query for any number of people."""
    query = (
        select(DirectoryEntry.person_id, DirectoryEntry.department, DepartmentHours.calendar)
        .outerjoin(DepartmentHours, col(DepartmentHours.department) == DirectoryEntry.department)
        .where(col(DirectoryEntry.active))
        .order_by(DirectoryEntry.person_id, DirectoryEntry.department)
    )
    # One person (the common case): a plain equality, the same SQL text every time.
    query = query.where(
        DirectoryEntry.person_id == person_ids[0]
        if len(person_ids) == 1
        else col(DirectoryEntry.person_id).in_(person_ids)
    )
    found: dict[str, list[tuple[str, dict[str, Any] | None]]] = {p: [] for p in person_ids}
    for person_id, department, calendar in (await session.exec(query)).all():
        found[person_id].append((department, calendar))
    return found


async def calendar_of(*, session: AsyncSession, department: str) -> Calendar | None:
    row = await session.get(DepartmentHours, department)
    return Calendar.model_validate(row.calendar) if row and row.calendar else None
