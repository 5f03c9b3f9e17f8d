"""A person's working hours: their own calendar if they set one, else their
department's (the first that lists them and has one); none means around the
clock, and then nothing waits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from baton_contracts import Calendar
from baton_runtime import rows
from baton_runtime.rows import execute
from baton_runtime.workingtime import WorkingCalendar, working_calendar
from sqlalchemy import Select, String, and_, bindparam, event, select, union_all
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.directory import service as directory
from baton_notifications.directory.models import DepartmentHours, DirectoryEntry
from baton_notifications.recipients.models import RecipientPreferences


@dataclass(frozen=True)
class Hours:
    calendar: WorkingCalendar | None
    source: str | None  # "own", "department:<name>", or None (around the clock)
    department: str | None  # the department the person is counted in
    quiet: bool  # whether notices that can wait, wait

    def working(self, at: datetime) -> bool:
        return self.calendar is None or self.calendar.is_working(at)

    def hold_until(self, at: datetime) -> datetime | None:
        """When a notice that can wait goes out: None for at once."""
        if not self.quiet or self.calendar is None or self.calendar.is_working(at):
            return None
        return self.calendar.next_start(at)


@lru_cache(maxsize=256)
def _parsed(document: str) -> WorkingCalendar:
    return working_calendar(Calendar.model_validate_json(document))


def calendar_of(stored: dict[str, Any]) -> WorkingCalendar:
    """The arithmetic for a calendar as stored (JSON), validated once per distinct
    content rather than per notice: a department's changes only with its catalog."""
    return _parsed(json.dumps(stored, sort_keys=True))


def _hours(
    prefs: RecipientPreferences | None, listed: list[tuple[str, dict[str, Any] | None]]
) -> Hours:
    """From the person's preferences and their departments' calendars (name order)."""
    first = listed[0][0] if listed else None
    quiet = prefs.quiet_hours if prefs is not None else True
    if prefs is not None and prefs.working_hours:
        own = calendar_of(prefs.working_hours)
        return Hours(calendar=own, source="own", department=first, quiet=quiet)
    for name, calendar in listed:
        if calendar:
            working = calendar_of(calendar)
            return Hours(working, f"department:{name}", first, quiet)
    return Hours(calendar=None, source=None, department=first, quiet=quiet)


async def hours_of(
    session: AsyncSession, person_id: str, prefs: RecipientPreferences | None
) -> Hours:
    listed = await directory.calendars_of(session=session, person_ids=[person_id])
    return _hours(prefs, listed[person_id])


_PREFS = RecipientPreferences.__table__  # type: ignore[attr-defined]
_LISTED = DirectoryEntry.__table__  # type: ignore[attr-defined]
_CALENDARS = DepartmentHours.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def _preferences_and_hours_query(count: int) -> Select[Any]:
    """The query for ``count`` people (``p0``, ``p1``, ...), built once per count:
    from the people's ids, their preferences, each department listing them, and its
    calendar, joined (one row at least for each, whoever knows of them)."""
    each = [select(bindparam(f"p{n}", type_=String).label("me_id")) for n in range(count)]
    me = (each[0] if count == 1 else union_all(*each)).subquery("me")
    return (
        select(me.c.me_id, _PREFS, _LISTED.c.department.label("listed_in"),
               _CALENDARS.c.calendar.label("listed_calendar"))
        .select_from(me)
        .outerjoin(_PREFS, _PREFS.c.person_id == me.c.me_id)
        .outerjoin(_LISTED, and_(_LISTED.c.person_id == me.c.me_id, _LISTED.c.active))
        .outerjoin(_CALENDARS, _CALENDARS.c.department == _LISTED.c.department)
        .order_by(me.c.me_id, _LISTED.c.department)
    )  # fmt: skip


# What this transaction has read, person -> (preferences, hours): a consumer's unit
# of work of many notices to the same few liaisons reads each of them once.
_READ = "baton_notifications_recipients_read"
_WRITTEN_BY = (RecipientPreferences, DirectoryEntry, DepartmentHours)


async def preferences_and_hours(
    session: AsyncSession, person_ids: list[str]
) -> dict[str, tuple[RecipientPreferences | None, Hours]]:
    """Each person's preferences (None: never set) and working hours, in one query
    (``_preferences_and_hours_query``). The preferences are not the session's:
    nothing here changes them.

    What a transaction has read is answered from memory for the rest of it,
    until the session writes preferences, the directory or a calendar (a flush or
    an ORM statement that does); a savepoint's end, and the transaction's, drop
    it. Another transaction's commit meanwhile is seen by the next transaction,
    as if it had committed just after this one."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    sync = session.sync_session
    read = sync.info.get(_READ, {}) if sync.in_transaction() else {}
    if all(p in read for p in ids):
        return {p: read[p] for p in ids}
    found = await _read(session, ids)
    if sync.in_transaction():
        sync.info.setdefault(_READ, {}).update(found)
    return found


async def _read(
    session: AsyncSession, ids: list[str]
) -> dict[str, tuple[RecipientPreferences | None, Hours]]:
    query = _preferences_and_hours_query(len(ids))
    found = await execute(session, query, {f"p{n}": p for n, p in enumerate(ids)})
    prefs: dict[str, RecipientPreferences | None] = {}
    listed: dict[str, list[tuple[str, dict[str, Any] | None]]] = {p: [] for p in ids}
    for row in found:
        person_id = row.me_id
        if person_id not in prefs:
            prefs[person_id] = (
                None
                if row.person_id is None
                else RecipientPreferences(**{c.key: row._mapping[c] for c in _PREFS.c})
            )
        if row.listed_in:
            listed[person_id].append((row.listed_in, row.listed_calendar))
    return {p: (prefs.get(p), _hours(prefs.get(p), listed[p])) for p in ids}


rows.on_writes_to(_READ, _WRITTEN_BY, lambda session: session.info.pop(_READ, None))


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # The transaction, or a savepoint (not a flush's own inner transaction).
    if transaction.parent is None or transaction.nested:
        session.info.pop(_READ, None)


async def person_hours(session: AsyncSession, person_id: str) -> Hours:
    """``hours_of`` with the person's preferences read here."""
    prefs = await session.get(RecipientPreferences, person_id)
    return await hours_of(session, person_id, prefs)
