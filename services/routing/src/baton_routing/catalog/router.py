"""Departments, rules and emphasis, managed at runtime; each change is a new version."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.problems import problem_response
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from baton_routing.catalog import service
from baton_routing.catalog.deps import CatalogDep
from baton_routing.catalog.errors import (
    CatalogError,
    Conflict,
    InvalidChange,
    NotFound,
    UnknownVersion,
)
from baton_routing.catalog.models import INTEGER_MAX
from baton_routing.catalog.schemas import Department, Emphasis, Rule, VersionPublic
from baton_routing.deps import ActorDep

router = APIRouter(tags=["catalog"])

VERSION_HEADER = "X-Baton-Catalog-Version"
# Most specific first: an UnknownVersion is also a NotFound.
PROBLEMS: list[tuple[type[CatalogError], int, str]] = [
    (UnknownVersion, 404, "No such version"),
    (NotFound, 404, "Not found"),
    (Conflict, 409, "Conflict"),
    (InvalidChange, 422, "Invalid catalog change"),
]


async def catalog_problem(request: Request, error: Exception) -> JSONResponse:
    """Answers a CatalogError as problem details (create_app installs it)."""
    status, title = next((s, t) for kind, s, t in PROBLEMS if isinstance(error, kind))
    return problem_response(request, status, title, str(error))


def _versioned(response: Response, version: int) -> None:
    response.headers[VERSION_HEADER] = str(version)


@router.get("/v1/departments", **allow("reader"), response_model=list[Department])
async def departments(catalog: CatalogDep, response: Response, session: SessionDep):
    """The department catalog routing works from now."""
    version, current = await catalog.current(session)
    _versioned(response, version)
    return current.departments


@router.get("/v1/departments/{name}", **allow("reader"), response_model=Department)
async def department(name: str, catalog: CatalogDep, session: SessionDep):
    return await service.department(session=session, catalog=catalog, name=name)


@router.post(
    "/v1/departments", **allow("administrator"), response_model=Department, status_code=201
)
async def create_department(
    body: Department, actor: ActorDep, catalog: CatalogDep, response: Response, session: SessionDep
):
    row = await service.add_department(
        session=session, catalog=catalog, department=body, actor=actor
    )
    _versioned(response, row.version)
    return body


@router.put("/v1/departments/{name}", **allow("administrator"), response_model=Department)
async def replace_department(
    name: str,
    body: Department,
    actor: ActorDep,
    catalog: CatalogDep,
    response: Response,
    session: SessionDep,
):
    row = await service.replace_department(
        session=session, catalog=catalog, name=name, department=body, actor=actor
    )
    _versioned(response, row.version)
    return body


@router.delete("/v1/departments/{name}", **allow("administrator"), status_code=204)
async def delete_department(name: str, actor: ActorDep, catalog: CatalogDep, session: SessionDep):
    """Refused (422) while a rule or the emphasis names it, and for customer_service."""
    row = await service.delete_department(session=session, catalog=catalog, name=name, actor=actor)
    return Response(status_code=204, headers={VERSION_HEADER: str(row.version)})


@router.get("/v1/rules", **allow("reader"), response_model=list[Rule])
async def rules(catalog: CatalogDep, response: Response, session: SessionDep):
    """The rules in the order they are tried."""
    version, current = await catalog.current(session)
    _versioned(response, version)
    return current.rules


@router.get("/v1/rules/versions", **allow("reader"), response_model=list[VersionPublic])
async def versions(catalog: CatalogDep, session: SessionDep):
    """Every version of the catalog (departments, rules, emphasis), newest first."""
    rows = await catalog.versions(session)
    return [VersionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/v1/rules/versions/{version}/rollback", **allow("administrator"), response_model=VersionPublic
)
async def rollback(
    version: Annotated[int, Path(ge=1, le=INTEGER_MAX)],
    actor: ActorDep,
    catalog: CatalogDep,
    session: SessionDep,
):
    """Make an earlier version current again (as a new version; history is kept)."""
    row = await service.rollback(session=session, catalog=catalog, to=version, actor=actor)
    return VersionPublic.model_validate(row, from_attributes=True)


@router.get("/v1/rules/{rule_id}", **allow("reader"), response_model=Rule)
async def rule(rule_id: str, catalog: CatalogDep, session: SessionDep):
    return await service.rule(session=session, catalog=catalog, rule_id=rule_id)


@router.post("/v1/rules", **allow("administrator"), response_model=Rule, status_code=201)
async def create_rule(
    body: Rule,
    actor: ActorDep,
    catalog: CatalogDep,
    response: Response,
    session: SessionDep,
    position: Annotated[int | None, Query(ge=0)] = None,
):
    """Add a rule, last or at ``?position=`` (0 is tried first; past the end is last)."""
    row = await service.add_rule(
        session=session, catalog=catalog, rule=body, actor=actor, position=position
    )
    _versioned(response, row.version)
    return body


@router.put("/v1/rules/{rule_id}", **allow("administrator"), response_model=Rule)
async def replace_rule(
    rule_id: str,
    body: Rule,
    actor: ActorDep,
    catalog: CatalogDep,
    response: Response,
    session: SessionDep,
):
    row = await service.replace_rule(
        session=session, catalog=catalog, rule_id=rule_id, rule=body, actor=actor
    )
    _versioned(response, row.version)
    return body


@router.delete("/v1/rules/{rule_id}", **allow("administrator"), status_code=204)
async def delete_rule(rule_id: str, actor: ActorDep, catalog: CatalogDep, session: SessionDep):
    row = await service.delete_rule(session=session, catalog=catalog, rule_id=rule_id, actor=actor)
    return Response(status_code=204, headers={VERSION_HEADER: str(row.version)})


@router.get("/v1/emphasis", **allow("reader"), response_model=Emphasis)
async def emphasis(catalog: CatalogDep, session: SessionDep):
    """The ranked departments that break ties when rules for several departments match."""
    _, current = await catalog.current(session)
    return Emphasis(ranking=current.emphasis)


@router.put("/v1/emphasis", **allow("administrator"), response_model=Emphasis)
async def set_emphasis(
    body: Emphasis, actor: ActorDep, catalog: CatalogDep, response: Response, session: SessionDep
):
    row = await service.set_emphasis(
        session=session, catalog=catalog, ranking=body.ranking, actor=actor
    )
    _versioned(response, row.version)
    return body
