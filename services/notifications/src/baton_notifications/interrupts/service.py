"""Interrupt load in notices: how many notices reached a department's people
within their working hours and outside them, per working hour. Quiet hours
move what can wait into working hours; what still arrives outside is what
could not wait."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from baton_runtime.workingtime import working_calendar
from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.deliveries.models import Delivery
from baton_notifications.directory import service as directory
from baton_notifications.directory.models import DirectoryEntry
from baton_notifications.interrupts.schemas import NoticeLoad, PersonNotices
from baton_notifications.recipients.hours import person_hours


def _rate(count: int, hours: float) -> float | None:
    return round(count / hours, 3) if hours > 0 else None


async def load(
    *, session: AsyncSession, department: str, since: datetime, until: datetime
) -> NoticeLoad:
    people = (
        await session.exec(
            select(DirectoryEntry.person_id).where(
                DirectoryEntry.department == department, col(DirectoryEntry.active)
            )
        )
    ).all()
    # Each notice once: the first of its channels to reach the person.
    rows = (
        await session.exec(
            # Whether any of its channels held it: max over 1/0 (PostgreSQL has no
            # max of a boolean).
            select(Delivery.recipient_id, Delivery.event_id, func.min(Delivery.sent_at),
                   func.max(case((col(Delivery.held), 1), else_=0)))
            .where(col(Delivery.recipient_id).in_(people), Delivery.status == "sent",
                   col(Delivery.sent_at) >= since, col(Delivery.sent_at) < until)
            .group_by(Delivery.recipient_id, Delivery.event_id)
        )
    ).all()  # fmt: skip
    calendar = await directory.calendar_of(session=session, department=department)
    span = until - since
    working = working_calendar(calendar).between(since, until) if calendar else span
    within: dict[str, int] = defaultdict(int)
    beyond: dict[str, int] = defaultdict(int)
    held = 0
    hours_by_person = {p: await person_hours(session, p) for p in people}
    for person_id, _, sent_at, was_held in rows:
        at = datetime.fromisoformat(sent_at) if isinstance(sent_at, str) else sent_at
        at = at if at.tzinfo else at.replace(tzinfo=since.tzinfo)
        inside = hours_by_person[person_id].working(at)
        (within if inside else beyond)[person_id] += 1
        held += bool(was_held)
    per_person = []
    for person_id in sorted(set(within) | set(beyond)):
        own = hours_by_person[person_id].calendar
        own_working = own.between(since, until) if own else span
        per_person.append(
            PersonNotices(
                person_id=person_id, within_working_hours=within[person_id],
                outside_working_hours=beyond[person_id],
                per_working_hour=_rate(within[person_id], own_working / timedelta(hours=1)),
            )
        )  # fmt: skip
    working_h = working / timedelta(hours=1)
    outside_h = (span - working) / timedelta(hours=1)
    return NoticeLoad(
        department=department, since=since, until=until, working_hours=round(working_h, 2),
        hours_outside_working_hours=round(outside_h, 2),
        within_working_hours=sum(within.values()), outside_working_hours=sum(beyond.values()),
        per_working_hour=_rate(sum(within.values()), working_h),
        per_hour_outside_working_hours=_rate(sum(beyond.values()), outside_h),
        held_for_quiet_hours=held, people=per_person,
    )  # fmt: skip
