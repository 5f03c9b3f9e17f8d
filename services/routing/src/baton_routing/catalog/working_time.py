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
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog import service
from baton_routing.catalog.deps import CatalogDep
from baton_routing.catalog.router import VERSION_HEADER
from baton_routing.catalog.schemas import OnCallNow
from baton_routing.catalog.store import CatalogStore
from baton_routing.deps import ActorDep

router = APIRouter(prefix="/v1/departments/{name}", tags=["catalog"])


async def _set(
    part: str, name: str, value: Any, *, actor: str, catalog: CatalogStore, session: AsyncSession
) -> dict[str, str]:
    """Write one part of the department as the catalog's next version; the headers to answer."""
    row = await service.set_department_part(
        session=session, catalog=catalog, name=name, part=part, value=value, actor=actor
    )
    return {VERSION_HEADER: str(row.version)}


@router.get("/calendar", **allow("reader"), response_model=Calendar | None)
async def calendar(name: str, catalog: CatalogDep, session: SessionDep):
    """When the department works; null: around the clock (every clock counts wall time)."""
    return (await service.department(session=session, catalog=catalog, name=name)).calendar


@router.put("/calendar", **allow("administrator"), response_model=Calendar)
async def set_calendar(
    name: str, body: Calendar, actor: ActorDep, catalog: CatalogDep, response: Response,
    session: SessionDep,
):  # fmt: skip
    """Time zone, hours per weekday, public holidays (country, region), closures."""
    value = body.model_dump(mode="json")
    done = await _set("calendar", name, value, actor=actor, catalog=catalog, session=session)
    response.headers.update(done)
    return body


@router.delete("/calendar", **allow("administrator"), status_code=204)
async def remove_calendar(name: str, actor: ActorDep, catalog: CatalogDep, session: SessionDep):
    """Back to around the clock; refused (422) while an on-call schedule needs it."""
    done = await _set("calendar", name, None, actor=actor, catalog=catalog, session=session)
    return Response(status_code=204, headers=done)


@router.get("/on-call", **allow("reader"), response_model=OnCall | None)
async def schedule(name: str, catalog: CatalogDep, session: SessionDep):
    """The layered weekly rotations and their overrides; null: nobody on call."""
    return (await service.department(session=session, catalog=catalog, name=name)).on_call


@router.put("/on-call", **allow("administrator"), response_model=OnCall)
async def set_schedule(
    name: str, body: OnCall, actor: ActorDep, catalog: CatalogDep, response: Response,
    session: SessionDep,
):  # fmt: skip
    """Layers in escalation order; their people must be the department's liaisons or head."""
    value = body.model_dump(mode="json")
    done = await _set("on_call", name, value, actor=actor, catalog=catalog, session=session)
    response.headers.update(done)
    return body


@router.delete("/on-call", **allow("administrator"), status_code=204)
async def remove_schedule(name: str, actor: ActorDep, catalog: CatalogDep, session: SessionDep):
    done = await _set("on_call", name, None, actor=actor, catalog=catalog, session=session)
    return Response(status_code=204, headers=done)


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


@router.get("/internal-targets", **allow("reader"), response_model=list[InternalTarget])
async def targets(name: str, catalog: CatalogDep, session: SessionDep):
    """How fast the department answers each other department's employees."""
    return (await service.department(session=session, catalog=catalog, name=name)).internal_targets


@router.put("/internal-targets", **allow("administrator"), response_model=list[InternalTarget])
async def set_targets(
    name: str, body: list[InternalTarget], actor: ActorDep, catalog: CatalogDep,
    response: Response, session: SessionDep,
):  # fmt: skip
    """E.g. ``[{"requester": "sales", "acknowledge_hours": 4}]``: IT answers sales within
    4 working hours. They become the clocks of those requests."""
    value = [t.model_dump(mode="json") for t in body]
    done = await _set(
        "internal_targets", name, value, actor=actor, catalog=catalog, session=session
    )
    response.headers.update(done)
    return body
