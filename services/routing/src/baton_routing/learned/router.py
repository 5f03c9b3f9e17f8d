from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from baton_routing.learned import history
from baton_routing.learned.model import ModelSlot

router = APIRouter(tags=["learned router"])


class ModelPublic(BaseModel):
    version: str | None
    departments: list[str]


def _public(slot: ModelSlot) -> ModelPublic:
    current = slot.current
    return ModelPublic(
        version=current.version if current else None,
        departments=current.departments if current else [],
    )


@router.get("/v1/router/model", response_model=ModelPublic)
async def model(request: Request) -> ModelPublic:
    """The learned router's current version (``null`` when it is turned off)."""
    return _public(request.app.state.model)


@router.post("/v1/router/model/retrain", response_model=ModelPublic)
async def retrain(request: Request) -> ModelPublic:
    """Retrain from the shipped sample and every issue resolved so far (its final
    department is the label), and swap the model in; the version goes up by one."""
    slot: ModelSlot = request.app.state.model
    async with request.app.state.runtime.db.session() as session:
        own = await history.examples(session)
    # About a second of CPU: off the event loop.
    await run_in_threadpool(partial(slot.retrain, history=own))
    return _public(slot)
