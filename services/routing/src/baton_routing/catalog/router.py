"""Departments, rules and emphasis, managed at runtime; each change is a new version."""

from __future__ import annotations

from typing import Annotated, Any

from baton_runtime.identity import allow
from baton_runtime.problems import problem_response
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

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
from baton_routing.catalog.service import DEPARTMENTS, RULES
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


def _entry_doors(
    kind: service.Kind, model: type[BaseModel], key: str, *, listed: str, deleted: str = ""
) -> None:
    """The doors of the departments or the rules: ``GET /v1/{field}`` (``listed``
    documents it), and reading, replacing and deleting (``deleted`` documents it) one
    by its ``{key}``. Each change is the catalog's next version, in the version header."""
    many, one = f"/v1/{kind.field}", f"/v1/{kind.field}/{{{key}}}"

    async def list_entries(catalog: CatalogDep, response: Response, session: SessionDep):
        version, current = await catalog.current(session)
        _versioned(response, version)
        return getattr(current, kind.field)

    async def get_entry(value: str, catalog: CatalogDep, session: SessionDep):
        return await service.entry(session=session, catalog=catalog, kind=kind, value=value)

    async def replace_entry(
        value: str,
        body: Any,
        actor: ActorDep,
        catalog: CatalogDep,
        response: Response,
        session: SessionDep,
    ):
        row = await service.replace(
            session=session, catalog=catalog, kind=kind, value=value, new=body, actor=actor
        )
        _versioned(response, row.version)
        return body

    async def delete_entry(value: str, actor: ActorDep, catalog: CatalogDep, session: SessionDep):
        row = await service.delete(
            session=session, catalog=catalog, kind=kind, value=value, actor=actor
        )
        return Response(status_code=204, headers={VERSION_HEADER: str(row.version)})

    # What FastAPI reads: the entry's name from the path's ``{key}``, the body as ``model``.
    for door in (get_entry, replace_entry, delete_entry):
        door.__annotations__["value"] = Annotated[str, Path(alias=key)]
    replace_entry.__annotations__["body"] = model
    what = kind.what
    router.get(
        many, name=kind.field, description=listed, response_model=list[model], **allow("reader")
    )(list_entries)
    router.get(one, name=what, response_model=model, **allow("reader"))(get_entry)
    router.put(one, name=f"replace_{what}", response_model=model, **allow("administrator"))(
        replace_entry
    )
    router.delete(
        one, name=f"delete_{what}", description=deleted, status_code=204, **allow("administrator")
    )(delete_entry)


_entry_doors(
    DEPARTMENTS,
    Department,
    "name",
    listed="The department catalog routing works from now.",
    deleted="Refused (422) while a rule or the emphasis names it, and for customer_service.",
)


@router.post(
    "/v1/departments", **allow("administrator"), response_model=Department, status_code=201
)
async def create_department(
    body: Department, actor: ActorDep, catalog: CatalogDep, response: Response, session: SessionDep
):
    row = await service.add(
        session=session, catalog=catalog, kind=DEPARTMENTS, new=body, actor=actor
    )
    _versioned(response, row.version)
    return body


@router.get("/v1/catalog/versions", **allow("reader"), response_model=list[VersionPublic])
async def versions(catalog: CatalogDep, session: SessionDep):
    """Every version of the catalog (departments, rules, emphasis), newest first."""
    rows = await catalog.versions(session)
    return [VersionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/v1/catalog/versions/{version}/rollback",
    **allow("administrator"),
    response_model=VersionPublic,
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


_entry_doors(RULES, Rule, "rule_id", listed="The rules in the order they are tried.")


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
    row = await service.add(
        session=session, catalog=catalog, kind=RULES, new=body, actor=actor, at=position
    )
    _versioned(response, row.version)
    return body


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
