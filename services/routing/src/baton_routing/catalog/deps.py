"""The catalog store the app created, for catalog and decision routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from baton_routing.catalog.store import CatalogStore


async def get_catalog(request: Request) -> CatalogStore:
    # create_app builds the one store (it caches the parsed current version).
    catalog: CatalogStore = request.app.state.catalog
    return catalog


CatalogDep = Annotated[CatalogStore, Depends(get_catalog)]
