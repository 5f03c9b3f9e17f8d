from __future__ import annotations

from functools import partial
from pathlib import Path

from baton_contracts.topics import (
    DEPARTMENTS,
    ISSUES_FEEDBACK,
    ISSUES_OWNERSHIP,
    ISSUES_REROUTE,
    ISSUES_ROUTED,
    NOTIFICATIONS_DELIVERIES,
)
from baton_runtime import retention
from baton_runtime.service import GAUGE_INTERVAL_S, Runtime
from baton_runtime.telemetry import metrics_enabled
from fastapi import FastAPI

from baton_ownership.assignment.handler import on_issue_routed
from baton_ownership.assignment.router import router as owner_router
from baton_ownership.core.errors import OwnershipError
from baton_ownership.deadlines import service as deadlines
from baton_ownership.deadlines.handler import TAKES as FAILURES
from baton_ownership.deadlines.handler import on_delivery_failed
from baton_ownership.directory.handler import on_department_updated
from baton_ownership.directory.router import router as directory_router
from baton_ownership.feedback.handler import on_feedback
from baton_ownership.insights import live
from baton_ownership.insights.router import router as insights_router
from baton_ownership.lifecycle.router import router as lifecycle_router
from baton_ownership.links.router import router as links_router
from baton_ownership.problems import answer
from baton_ownership.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = Runtime(
        name="ownership", settings=settings, migrations_dir=Path(__file__).parent / "migrations"
    )
    runtime.produces(ISSUES_OWNERSHIP)
    runtime.produces(ISSUES_REROUTE)
    runtime.consume(DEPARTMENTS, partial(on_department_updated, runtime=runtime))
    runtime.consume(ISSUES_ROUTED, partial(on_issue_routed, runtime=runtime))
    runtime.consume(
        NOTIFICATIONS_DELIVERIES, partial(on_delivery_failed, runtime=runtime), only=FAILURES
    )
    runtime.consume(ISSUES_FEEDBACK, partial(on_feedback, runtime=runtime))
    runtime.keep(retention.processed_events(settings.processed_events_retention_days))
    runtime.every(
        settings.deadline_check_interval_s,
        "deadline checker",
        partial(deadlines.check, db=runtime.db, settings=settings),
    )
    if metrics_enabled():
        runtime.every(GAUGE_INTERVAL_S, "stall gauges", partial(live.measure, db=runtime.db))
    app = runtime.app(
        title="Baton ownership",
        routers=[owner_router, lifecycle_router, directory_router, insights_router],
    )
    app.add_exception_handler(OwnershipError, answer)
    # Outside /v1 and its verified callers: a signed link's token is its credential.
    app.include_router(links_router)
    return app
