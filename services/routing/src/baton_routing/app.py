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

from baton_routing.catalog.errors import CatalogError
from baton_routing.catalog.publish import publish_catalog
from baton_routing.catalog.router import catalog_problem
from baton_routing.catalog.router import router as catalog_router
from baton_routing.catalog.service import load_catalog
from baton_routing.catalog.store import CatalogStore
from baton_routing.catalog.working_time import router as working_time_router
from baton_routing.classifier.handler import TAKES as RESOLUTIONS
from baton_routing.classifier.handler import on_ownership_event
from baton_routing.classifier.learned import ClassifierSlot
from baton_routing.classifier.router import router as classifier_router
from baton_routing.decisions.handler import Decisions
from baton_routing.decisions.router import router as decisions_router
from baton_routing.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Trained from the shipped sample and the catalog's examples, and the embedding
    # model loaded, in a background thread (seconds): the service answers meanwhile and
    # decisions wait for it. See bench/routing.
    seed = load_catalog(settings.catalog_path)
    classifier = ClassifierSlot(seed=seed, embeddings=settings.router_embeddings)
    if settings.router_enabled:
        classifier.start()
    runtime = Runtime(
        name="routing", settings=settings, migrations_dir=Path(__file__).parent / "migrations"
    )
    # The shipped YAML seeds the catalog's first version in the database; every
    # version written is shared on the departments topic.
    catalog = CatalogStore(
        seed=seed,
        departments_topic=settings.topic(DEPARTMENTS),
    )
    runtime.produces(ISSUES_ROUTED)
    runtime.produces(DEPARTMENTS)
    runtime.on_start(partial(publish_catalog, runtime=runtime, catalog=catalog))
    decisions = Decisions(runtime=runtime, catalog=catalog, classifier=classifier)
    runtime.consume(ISSUES_REPORTED, decisions.on_issue_reported)
    runtime.consume(ISSUES_REROUTE, decisions.on_reroute_requested)
    # Resolutions label the company's own history for retraining.
    runtime.consume(
        ISSUES_OWNERSHIP, partial(on_ownership_event, runtime=runtime), only=RESOLUTIONS
    )
    runtime.keep(retention.processed_events(settings.processed_events_retention_days))
    app = runtime.app(
        title="Baton routing",
        routers=[catalog_router, working_time_router, decisions_router, classifier_router],
    )
    app.add_exception_handler(CatalogError, catalog_problem)
    # What catalog.deps and classifier.deps hand the routers: the same objects the
    # handlers above were given.
    app.state.catalog = catalog
    app.state.classifier = classifier
    return app
