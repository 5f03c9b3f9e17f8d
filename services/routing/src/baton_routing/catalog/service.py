"""Reading and changing the catalog. Every change writes the next version whole and
returns it; a change that would leave the catalog invalid is refused as a whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.errors import Conflict, InvalidChange, NotFound, UnknownVersion
from baton_routing.catalog.models import CatalogVersion
from baton_routing.catalog.schemas import Catalog, Department, Rule
from baton_routing.catalog.store import CatalogStore

Document = dict[str, Any]


def load_catalog(path: Path) -> Catalog:
    with path.open(encoding="utf-8") as f:
        return Catalog.model_validate(yaml.safe_load(f))


async def department(*, session: AsyncSession, catalog: CatalogStore, name: str) -> Department:
    _, current = await catalog.current(session)
    found = next((d for d in current.departments if d.name == name), None)
    if found is None:
        raise NotFound(f"Department {name!r} does not exist.")
    return found


async def rule(*, session: AsyncSession, catalog: CatalogStore, rule_id: str) -> Rule:
    _, current = await catalog.current(session)
    found = next((r for r in current.rules if r.id == rule_id), None)
    if found is None:
        raise NotFound(f"Rule {rule_id!r} does not exist.")
    return found


async def add_department(
    *, session: AsyncSession, catalog: CatalogStore, department: Department, actor: str
) -> CatalogVersion:
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"add department {department.name}",
        edit=lambda doc: _add(doc["departments"], "name", department, "Department"),
    )


async def replace_department(
    *, session: AsyncSession, catalog: CatalogStore, name: str, department: Department, actor: str
) -> CatalogVersion:
    if department.name != name:
        raise InvalidChange("A department's name cannot change; create a new one.")
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"replace department {name}",
        edit=lambda doc: _replace(doc["departments"], "name", department, "Department"),
    )


async def delete_department(
    *, session: AsyncSession, catalog: CatalogStore, name: str, actor: str
) -> CatalogVersion:
    """Refused while a rule or the emphasis names it, and for customer_service."""
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"delete department {name}",
        edit=lambda doc: _delete(doc["departments"], "name", name, "Department"),
    )


async def add_rule(
    *,
    session: AsyncSession,
    catalog: CatalogStore,
    rule: Rule,
    actor: str,
    position: int | None = None,
) -> CatalogVersion:
    """Last, or at ``position`` (0 is tried first)."""
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"add rule {rule.id}",
        edit=lambda doc: _add(doc["rules"], "id", rule, "Rule", at=position),
    )


async def replace_rule(
    *, session: AsyncSession, catalog: CatalogStore, rule_id: str, rule: Rule, actor: str
) -> CatalogVersion:
    if rule.id != rule_id:
        raise InvalidChange("A rule's id cannot change; create a new one.")
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"replace rule {rule_id}",
        edit=lambda doc: _replace(doc["rules"], "id", rule, "Rule"),
    )


async def delete_rule(
    *, session: AsyncSession, catalog: CatalogStore, rule_id: str, actor: str
) -> CatalogVersion:
    return await _change(
        session,
        catalog,
        actor=actor,
        change=f"delete rule {rule_id}",
        edit=lambda doc: _delete(doc["rules"], "id", rule_id, "Rule"),
    )


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


def _position(items: list[Document], key: str, value: str, what: str) -> int:
    for i, item in enumerate(items):
        if item[key] == value:
            return i
    raise NotFound(f"{what} {value!r} does not exist.")


def _add(
    items: list[Document], key: str, new: BaseModel, what: str, *, at: int | None = None
) -> None:
    value = getattr(new, key)
    if any(item[key] == value for item in items):
        raise Conflict(f"{what} {value!r} already exists.")
    items.insert(len(items) if at is None else max(0, at), new.model_dump(mode="json"))


def _replace(items: list[Document], key: str, new: BaseModel, what: str) -> None:
    items[_position(items, key, getattr(new, key), what)] = new.model_dump(mode="json")


def _delete(items: list[Document], key: str, value: str, what: str) -> None:
    del items[_position(items, key, value, what)]
