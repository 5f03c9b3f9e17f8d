"""The classifier's version, and retraining it (the paths keep their ``router``)."""

from __future__ import annotations

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter

from baton_routing.catalog.deps import CatalogDep
from baton_routing.classifier import learned
from baton_routing.classifier.deps import ClassifierDep
from baton_routing.classifier.learned import ClassifierSlot
from baton_routing.classifier.schemas import ClassifierPublic

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
async def retrain(
    slot: ClassifierDep, catalog: CatalogDep, session: SessionDep
) -> ClassifierPublic:
    """Retrain the text model from the shipped sample, the catalog's current examples and
    every issue resolved so far (its final department is the label), and swap it in; the
    version goes up by one. (The examples' embeddings follow catalog changes at once.)"""
    _, current = await catalog.current(session)
    await learned.retrain(session=session, slot=slot, catalog=current)
    return _public(slot)
