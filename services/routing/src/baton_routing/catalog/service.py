"""Reading and changing the catalog. Every change writes the next version whole and
returns it; a change that would leave the catalog invalid is refused as a whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml
from baton_contracts import Override
from baton_runtime.workingtime import on_call, working_calendar
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.errors import Conflict, InvalidChange, NotFound, UnknownVersion
from baton_routing.catalog.models import CatalogVersion
from baton_routing.catalog.schemas import Catalog, Department, OnCallLayerNow, OnCallNow, Rule
from baton_routing.catalog.store import CatalogStore

Document = dict[str, Any]
Entry = TypeVar("Entry", Department, Rule)


@dataclass(frozen=True)
class Kind:
    """Departments and rules are edited alike: a list in the document, a naming field."""

    field: str  # the catalog's list
    key: str  # what names one entry
    what: str  # for messages: "department", "rule"


DEPARTMENTS = Kind(field="departments", key="name", what="department")
RULES = Kind(field="rules", key="id", what="rule")


def load_catalog(path: Path) -> Catalog:
    with path.open(encoding="utf-8") as f:
        return Catalog.model_validate(yaml.safe_load(f))


async def entry(*, session: AsyncSession, catalog: CatalogStore, kind: Kind, value: str) -> Any:
    """The department or rule named ``value`` in the current catalog."""
    _, current = await catalog.current(session)
    return _find(getattr(current, kind.field), kind, value)


async def department(*, session: AsyncSession, catalog: CatalogStore, name: str) -> Department:
    return await entry(session=session, catalog=catalog, kind=DEPARTMENTS, value=name)


async def add(
    *,
    session: AsyncSession,
    catalog: CatalogStore,
    kind: Kind,
    new: BaseModel,
    actor: str,
    at: int | None = None,
) -> CatalogVersion:
    """Last, or at ``at`` (0 is first: for rules, tried first)."""
    value = getattr(new, kind.key)

    def edit(doc: Document) -> None:
        entries = doc[kind.field]
        if any(entry[kind.key] == value for entry in entries):
            raise Conflict(f"{kind.what.capitalize()} {value!r} already exists.")
        # Past the end is last (a huge position too: list.insert takes no bigger int).
        entries.insert(
            len(entries) if at is None else min(at, len(entries)), new.model_dump(mode="json")
        )

    change = f"add {kind.what} {value}"
    return await _change(session, catalog, actor=actor, change=change, edit=edit)


async def replace(
    *,
    session: AsyncSession,
    catalog: CatalogStore,
    kind: Kind,
    value: str,
    new: BaseModel,
    actor: str,
) -> CatalogVersion:
    if getattr(new, kind.key) != value:
        raise InvalidChange(f"A {kind.what}'s {kind.key} cannot change; create a new one.")

    def edit(doc: Document) -> None:
        doc[kind.field][_position(doc[kind.field], kind, value)] = new.model_dump(mode="json")

    change = f"replace {kind.what} {value}"
    return await _change(session, catalog, actor=actor, change=change, edit=edit)


async def delete(
    *, session: AsyncSession, catalog: CatalogStore, kind: Kind, value: str, actor: str
) -> CatalogVersion:
    """A department is refused while a rule or the emphasis names it, and customer_service
    always (the catalog would be invalid)."""

    def edit(doc: Document) -> None:
        del doc[kind.field][_position(doc[kind.field], kind, value)]

    change = f"delete {kind.what} {value}"
    return await _change(session, catalog, actor=actor, change=change, edit=edit)


async def set_emphasis(
    *, session: AsyncSession, catalog: CatalogStore, ranking: list[str], actor: str
) -> CatalogVersion:
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"emphasis {' > '.join(ranking)}",
        edit=lambda doc: doc.update(emphasis=list(ranking)),
    )


async def rollback(
    *, session: AsyncSession, catalog: CatalogStore, to: int, actor: str
) -> CatalogVersion:
    """Make an earlier version current again, as a new version (history is kept)."""
    target = await catalog.version(session, to)
    if target is None:
        raise UnknownVersion(f"Catalog version {to} does not exist.")
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"rollback to version {to}",
        edit=lambda doc: doc.update(target.model_dump(mode="json")),
    )


async def _change(
    session: AsyncSession,
    catalog: CatalogStore,
    *,
    actor: str,
    change: str,
    edit: Callable[[Document], None],
) -> CatalogVersion:
    # Edits work on the JSON document, so that validation names the culprit by its path.
    version, current = await catalog.current(session)
    document = current.model_dump(mode="json")
    edit(document)
    return await catalog.write(session, document, after=version, actor=actor, change=change)


def _find(entries: list[Entry], kind: Kind, value: str) -> Entry:
    found = next((e for e in entries if getattr(e, kind.key) == value), None)
    if found is None:
        raise NotFound(f"{kind.what.capitalize()} {value!r} does not exist.")
    return found


def _position(entries: list[Document], kind: Kind, value: str) -> int:
    for i, entry in enumerate(entries):
        if entry[kind.key] == value:
            return i
    raise NotFound(f"{kind.what.capitalize()} {value!r} does not exist.")


# ---- a department's working time: calendar, on call, internal targets -------------

WORKING_TIME_PARTS = ("calendar", "on_call", "internal_targets")


async def set_department_part(
    *, session: AsyncSession, catalog: CatalogStore, name: str, part: str, value: Any, actor: str
) -> CatalogVersion:
    """Replace (or, with None, remove) one part of a department's working time."""
    assert part in WORKING_TIME_PARTS

    def edit(doc: Document) -> None:
        doc["departments"][_position(doc["departments"], DEPARTMENTS, name)][part] = value

    what = part.replace("_", " ")
    change = f"{'remove' if value is None else 'set'} {what} of {name}"
    return await _change(session, catalog, actor=actor, change=change, edit=edit)


# Overrides that ended this long ago are dropped when another is added: history
# stays in the catalog's versions, not in every version's document.
OVERRIDES_KEPT_AFTER_END = timedelta(days=30)


async def add_override(
    *, session: AsyncSession, catalog: CatalogStore, name: str, override: Override, actor: str
) -> CatalogVersion:
    """One person on call for a layer for a while, on top of the rotation."""
    current = await department(session=session, catalog=catalog, name=name)
    if current.on_call is None:
        raise InvalidChange(f"{name} has no on-call schedule to override; set one first.")
    since = datetime.now(UTC) - OVERRIDES_KEPT_AFTER_END

    def edit(doc: Document) -> None:
        on_call = doc["departments"][_position(doc["departments"], DEPARTMENTS, name)]["on_call"]
        kept = [o for o in on_call["overrides"] if datetime.fromisoformat(o["end"]) > since]
        on_call["overrides"] = [*kept, override.model_dump(mode="json")]

    change = f"override {override.layer} on call of {name}: {override.person_id}"
    return await _change(session, catalog, actor=actor, change=change, edit=edit)


def on_call_now(department: Department, at: datetime) -> OnCallNow:
    """Who is on call in each layer at ``at``, and whether that is within working hours."""
    working = (
        True
        if department.calendar is None
        else working_calendar(department.calendar).is_working(at)
    )
    layers = []
    if department.on_call is not None and department.calendar is not None:
        zone = working_calendar(department.calendar).zone
        layers = [
            OnCallLayerNow(layer=layer, person_id=person)
            for layer, person in on_call(department.on_call, zone, at)
        ]
    return OnCallNow(department=department.name, at=at, working_hours=working, layers=layers)
