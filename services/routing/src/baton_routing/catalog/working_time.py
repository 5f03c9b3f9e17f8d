"""A department's working time in the catalog: its calendar, who is on call
outside it, and its targets for other departments' requests. Each change is a
new catalog version, like every other, and reaches ownership and notifications
on the ``departments`` topic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from baton_contracts import Calendar, InternalTarget, OnCall, Override
from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Response
from pydantic import TypeAdapter
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog import service
from baton_routing.catalog.deps import CatalogDep
from baton_routing.catalog.router import VERSION_HEADER
from baton_routing.catalog.schemas import OnCallNow
from baton_routing.catalog.store import CatalogStore
from baton_routing.deps import ActorDep

router = APIRouter(prefix="/v1/departments/{name}", tags=["catalog"])


def _part_doors(
    path: str, part: str, noun: str, model: Any, *, read: str, write: str, remove: str | None
) -> None:
    """The doors of one part of a department: GET (``noun``), PUT (``set_{noun}``) and,
    when ``remove`` documents it, DELETE (``remove_{noun}``: null again). Each write is
    the catalog's next version, named in the version header."""
    as_json = TypeAdapter(model)

    async def get_part(name: str, catalog: CatalogDep, session: SessionDep):
        return getattr(await service.department(session=session, catalog=catalog, name=name), part)

    async def set_part(
        name: str,
        body: Any,
        actor: ActorDep,
        catalog: CatalogDep,
        response: Response,
        session: SessionDep,
    ):
        value = as_json.dump_python(body, mode="json")
        response.headers.update(await _set(part, name, value, actor, catalog, session))
        return body

    async def remove_part(name: str, actor: ActorDep, catalog: CatalogDep, session: SessionDep):
        done = await _set(part, name, None, actor, catalog, session)
        return Response(status_code=204, headers=done)

    set_part.__annotations__["body"] = model  # what FastAPI reads the body as
    read_model = model if remove is None else model | None
    router.get(path, name=noun, description=read, response_model=read_model, **allow("reader"))(
        get_part
    )
    router.put(
        path, name=f"set_{noun}", description=write, response_model=model, **allow("administrator")
    )(set_part)
    if remove is not None:
        router.delete(
            path,
            name=f"remove_{noun}",
            description=remove,
            status_code=204,
            **allow("administrator"),
        )(remove_part)


async def _set(
    part: str, name: str, value: Any, actor: str, catalog: CatalogStore, session: AsyncSession
) -> dict[str, str]:
    """Write one part of the department as the catalog's next version; the headers to answer."""
    row = await service.set_department_part(
        session=session, catalog=catalog, name=name, part=part, value=value, actor=actor
    )
    return {VERSION_HEADER: str(row.version)}


_part_doors(
    "/calendar",
    "calendar",
    "calendar",
    Calendar,
    read="When the department works; null: around the clock (every clock counts wall time).",
    write="Time zone, hours per weekday, public holidays (country, region), closures.",
    remove="Back to around the clock; refused (422) while an on-call schedule needs it.",
)
_part_doors(
    "/on-call",
    "on_call",
    "schedule",
    OnCall,
    read="The layered weekly rotations and their overrides; null: nobody on call.",
    write="Layers in escalation order; their people must be the department's liaisons or head.",
    remove="Nobody on call any more.",
)


@router.post("/on-call/overrides", **allow("administrator"), response_model=OnCall, status_code=201)
async def add_override(
    name: str, body: Override, actor: ActorDep, catalog: CatalogDep, response: Response,
    session: SessionDep,
):  # fmt: skip
    """One person on call for a layer for a while (a swap, an illness), on top of the rotation."""
    row = await service.add_override(
        session=session, catalog=catalog, name=name, override=body, actor=actor
    )
    response.headers[VERSION_HEADER] = str(row.version)
    found = await service.department(session=session, catalog=catalog, name=name)
    return found.on_call


@router.get("/on-call/now", **allow("reader"), response_model=OnCallNow)
async def on_call_now(
    name: str, catalog: CatalogDep, session: SessionDep, at: datetime | None = None
):
    """Who is on call in each layer now (or ``?at=``), and whether it is working time."""
    department = await service.department(session=session, catalog=catalog, name=name)
    moment = (at or datetime.now(UTC)) if (at is None or at.tzinfo) else at.replace(tzinfo=UTC)
    return service.on_call_now(department, moment)


_part_doors(
    "/internal-targets",
    "internal_targets",
    "targets",
    list[InternalTarget],
    read="How fast the department answers each other department's employees.",
    write=(
        'E.g. ``[{"requester": "sales", "acknowledge_hours": 4}]``: IT answers sales within\n'
        "4 working hours. They become the clocks of those requests."
    ),
    remove=None,
)
