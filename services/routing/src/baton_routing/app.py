from __future__ import annotations

from functools import partial
from pathlib import Path

from baton_contracts.topics import (
    DEPARTMENTS,
    ISSUES_OWNERSHIP,
    ISSUES_REPORTED,
    ISSUES_REROUTE,
    ISSUES_ROUTED,
)
from baton_runtime import retention
from baton_runtime.service import Runtime
from fastapi import FastAPI

from baton_routing.catalog import load_catalog
from baton_routing.catalog.publish import publish_catalog
from baton_routing.catalog.router import router as catalog_router
from baton_routing.catalog.store import CatalogStore
from baton_routing.decisions.handler import on_issue_reported, on_reroute_requested
from baton_routing.decisions.router import router as decisions_router
from baton_routing.learned import history
from baton_routing.learned.model import ModelSlot
from baton_routing.learned.router import router as learned_router
from baton_routing.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Trained from the shipped sample history at start (about a second); see bench/routing.
    model = ModelSlot()
    if settings.router_enabled:
        model.retrain()
    runtime = Runtime(
        name="routing", settings=settings, migrations_dir=Path(__file__).parent / "migrations"
    )
    # The shipped YAML seeds the catalog's first version in the database; every
    # version written is shared on the departments topic.
    catalog = CatalogStore(
        seed=load_catalog(settings.catalog_path),
        departments_topic=settings.topic(DEPARTMENTS),
        on_written=runtime.relay.notify,
    )
    runtime.produces(ISSUES_ROUTED)
    runtime.produces(DEPARTMENTS)
    runtime.on_start(partial(publish_catalog, runtime=runtime, catalog=catalog))
    runtime.consume(
        ISSUES_REPORTED,
        partial(
            on_issue_reported,
            runtime=runtime,
            catalog=catalog,
            model=model,
            min_confidence=settings.router_min_confidence,
        ),
    )
    routers = [catalog_router, decisions_router, learned_router]
    runtime.consume(
        ISSUES_REROUTE,
        partial(
            on_reroute_requested,
            runtime=runtime,
            catalog=catalog,
            model=model,
            max_attempts=settings.max_routing_attempts,
        ),
    )
    # Resolutions label the company's own history for retraining.
    runtime.consume(ISSUES_OWNERSHIP, partial(history.on_ownership_event, runtime=runtime))
    runtime.keep(retention.processed_events(settings.processed_events_retention_days))
    app = runtime.app(title="Baton routing", routers=routers)
    app.state.catalog_store = catalog
    app.state.min_confidence = settings.router_min_confidence
    app.state.model = model
    return app
