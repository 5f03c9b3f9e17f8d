"""The classifier slot the app created, for the classifier and decision routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from baton_routing.classifier.learned import ClassifierSlot


async def get_classifier(request: Request) -> ClassifierSlot:
    # create_app builds the one slot; retraining swaps the classifier inside it.
    slot: ClassifierSlot = request.app.state.classifier
    return slot


ClassifierDep = Annotated[ClassifierSlot, Depends(get_classifier)]
