"""Departments, rules and emphasis, managed at runtime; each change is a new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from baton_runtime.identity import ActorDep
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog import Department, Rule
from baton_routing.catalog.models import VersionPublic
from baton_routing.catalog.store import CatalogStore

router = APIRouter(tags=["catalog"])

# Who made a change (X-Baton-Actor, or a verified token's person); recorded with each version.
Actor = ActorDep


class Emphasis(BaseModel):
    ranking: list[str]


def _store(request: Request) -> CatalogStore:
    store: CatalogStore = request.app.state.catalog_store
    return store


def _versioned(response: Response, version: int) -> None:
    response.headers["X-Baton-Catalog-Version"] = str(version)


async def _change(
    request: Request,
    response: Response,
    session: AsyncSession,
    *,
    actor: str,
    change: str,
    edit: Callable[[dict[str, Any]], None],
) -> None:
    version, _ = await _store(request).change(session, actor=actor, change=change, edit=edit)
    _versioned(response, version)


def _index(items: list[dict[str, Any]], key: str, value: str, what: str) -> int:
    for i, item in enumerate(items):
        if item[key] == value:
            return i
    raise Problem(404, f"{what} {value!r} does not exist.", title="Not found")


@router.get("/v1/departments", response_model=list[Department])
async def departments(request: Request, response: Response, session: SessionDep):
    """The department catalog routing works from now."""
    version, catalog = await _store(request).current(session)
    _versioned(response, version)
    return catalog.departments


@router.get("/v1/departments/{name}", response_model=Department)
async def department(name: str, request: Request, session: SessionDep):
    _, catalog = await _store(request).current(session)
    found = [d for d in catalog.departments if d.name == name]
    if not found:
        raise Problem(404, f"Department {name!r} does not exist.", title="Not found")
    return found[0]


@router.post("/v1/departments", response_model=Department, status_code=201)
async def create_department(
    body: Department, actor: Actor, request: Request, response: Response, session: SessionDep
):
    def edit(doc: dict[str, Any]) -> None:
        if any(d["name"] == body.name for d in doc["departments"]):
            raise Problem(409, f"Department {body.name!r} already exists.", title="Conflict")
        doc["departments"].append(body.model_dump(mode="json"))

    await _change(
        request, response, session, actor=actor, change=f"add department {body.name}", edit=edit
    )
    return body


@router.put("/v1/departments/{name}", response_model=Department)
async def replace_department(
    name: str,
    body: Department,
    actor: Actor,
    request: Request,
    response: Response,
    session: SessionDep,
):
    if body.name != name:
        raise Problem(422, "A department's name cannot change; create a new one.")

    def edit(doc: dict[str, Any]) -> None:
        doc["departments"][_index(doc["departments"], "name", name, "Department")] = (
            body.model_dump(mode="json")
        )

    await _change(
        request, response, session, actor=actor, change=f"replace department {name}", edit=edit
    )
    return body


@router.delete("/v1/departments/{name}", status_code=204)
async def delete_department(name: str, actor: Actor, request: Request, session: SessionDep):
    """Refused (422) while a rule or the emphasis names it, and for customer_service."""

    def edit(doc: dict[str, Any]) -> None:
        del doc["departments"][_index(doc["departments"], "name", name, "Department")]

    version, _ = await _store(request).change(
        session, actor=actor, change=f"delete department {name}", edit=edit
    )
    return Response(status_code=204, headers={"X-Baton-Catalog-Version": str(version)})


@router.get("/v1/rules", response_model=list[Rule])
async def rules(request: Request, response: Response, session: SessionDep):
    """The rules in the order they are tried."""
    version, catalog = await _store(request).current(session)
    _versioned(response, version)
    return catalog.rules


@router.get("/v1/rules/versions", response_model=list[VersionPublic])
async def versions(request: Request, session: SessionDep):
    """Every version of the catalog (departments, rules, emphasis), newest first."""
    rows = await _store(request).versions(session)
    return [VersionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/v1/rules/versions/{version}/rollback", response_model=VersionPublic)
async def rollback(version: int, actor: Actor, request: Request, session: SessionDep):
    """Make an earlier version current again (as a new version; history is kept)."""
    store = _store(request)
    new, _ = await store.rollback(session, to=version, actor=actor)
    row = next(r for r in await store.versions(session) if r.version == new)
    return VersionPublic.model_validate(row, from_attributes=True)


@router.get("/v1/rules/{rule_id}", response_model=Rule)
async def rule(rule_id: str, request: Request, session: SessionDep):
    _, catalog = await _store(request).current(session)
    found = [r for r in catalog.rules if r.id == rule_id]
    if not found:
        raise Problem(404, f"Rule {rule_id!r} does not exist.", title="Not found")
    return found[0]


@router.post("/v1/rules", response_model=Rule, status_code=201)
async def create_rule(
    body: Rule,
    actor: Actor,
    request: Request,
    response: Response,
    session: SessionDep,
    position: int | None = None,
):
    """Add a rule, last or at ``?position=`` (0 is tried first)."""

    def edit(doc: dict[str, Any]) -> None:
        if any(r["id"] == body.id for r in doc["rules"]):
            raise Problem(409, f"Rule {body.id!r} already exists.", title="Conflict")
        at = len(doc["rules"]) if position is None else max(0, position)
        doc["rules"].insert(at, body.model_dump(mode="json"))

    await _change(request, response, session, actor=actor, change=f"add rule {body.id}", edit=edit)
    return body


@router.put("/v1/rules/{rule_id}", response_model=Rule)
async def replace_rule(
    rule_id: str,
    body: Rule,
    actor: Actor,
    request: Request,
    response: Response,
    session: SessionDep,
):
    if body.id != rule_id:
        raise Problem(422, "A rule's id cannot change; create a new one.")

    def edit(doc: dict[str, Any]) -> None:
        doc["rules"][_index(doc["rules"], "id", rule_id, "Rule")] = body.model_dump(mode="json")

    await _change(
        request, response, session, actor=actor, change=f"replace rule {rule_id}", edit=edit
    )
    return body


@router.delete("/v1/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: str, actor: Actor, request: Request, session: SessionDep):
    def edit(doc: dict[str, Any]) -> None:
        del doc["rules"][_index(doc["rules"], "id", rule_id, "Rule")]

    version, _ = await _store(request).change(
        session, actor=actor, change=f"delete rule {rule_id}", edit=edit
    )
    return Response(status_code=204, headers={"X-Baton-Catalog-Version": str(version)})


@router.get("/v1/emphasis", response_model=Emphasis)
async def emphasis(request: Request, session: SessionDep):
    """The ranked departments that break ties when rules for several departments match."""
    _, catalog = await _store(request).current(session)
    return Emphasis(ranking=catalog.emphasis)


@router.put("/v1/emphasis", response_model=Emphasis)
async def set_emphasis(
    body: Emphasis, actor: Actor, request: Request, response: Response, session: SessionDep
):
    def edit(doc: dict[str, Any]) -> None:
        doc["emphasis"] = body.ranking

    await _change(
        request,
        response,
        session,
        actor=actor,
        change=f"emphasis {' > '.join(body.ranking)}",
        edit=edit,
    )
    return body
