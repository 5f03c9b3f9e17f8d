"""The classifier's version, and retraining it (the paths keep their ``router``)."""

from __future__ import annotations

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_routing.classifier import service
from baton_routing.classifier.deps import ClassifierDep
from baton_routing.classifier.schemas import ClassifierPublic
from baton_routing.classifier.service import ClassifierSlot

router = APIRouter(tags=["classifier"])


def _public(slot: ClassifierSlot) -> ClassifierPublic:
    current = slot.current
    return ClassifierPublic(
        version=current.version if current else None,
        departments=current.departments if current else [],
    )


@router.get("/v1/router/model", **allow("reader"), response_model=ClassifierPublic)
async def model(slot: ClassifierDep) -> ClassifierPublic:
    """The classifier's current version (``null`` when it is turned off)."""
    return _public(slot)


@router.post("/v1/router/model/retrain", **allow("administrator"), response_model=ClassifierPublic)
async def retrain(slot: ClassifierDep, session: SessionDep) -> ClassifierPublic:
    """Retrain from the shipped sample and every issue resolved so far (its final
    department is the label), and swap the classifier in; the version goes up by one."""
    await service.retrain(session=session, slot=slot)
    return _public(slot)
