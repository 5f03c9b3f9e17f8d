from __future__ import annotations

import logging
import secrets
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from baton_contracts.topics import (
    DEPARTMENTS,
    ISSUES_FEEDBACK,
    ISSUES_OWNERSHIP,
    ISSUES_REPORTED,
    ISSUES_ROUTED,
    NOTIFICATIONS_DELIVERIES,
)
from baton_runtime import retention
from baton_runtime.service import Runtime
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from baton_workspace import web
from baton_workspace.commands import Notifications, Ownership
from baton_workspace.cookies import Jar
from baton_workspace.departments.router import router as departments_router
from baton_workspace.issues.router import router as issues_router
from baton_workspace.live import Changes
from baton_workspace.projection.handler import on_event
from baton_workspace.scorecards.elsewhere import Cache
from baton_workspace.scorecards.router import router as scorecards_router
from baton_workspace.scorecards.service import Recent
from baton_workspace.settings import Settings
from baton_workspace.signin.identity import from_session
from baton_workspace.signin.oidc import Provider
from baton_workspace.signin.router import router as signin_router
from baton_workspace.stalls.router import router as stalls_router
from baton_workspace.work.router import router as work_router

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.check_session_key()
    runtime = Runtime(
        name="workspace", settings=settings, migrations_dir=Path(__file__).parent / "migrations"
    )
    changes = Changes()
    handler = partial(on_event, runtime=runtime, changed=changes.changed)
    topics = (
        ISSUES_REPORTED, ISSUES_ROUTED, ISSUES_OWNERSHIP, NOTIFICATIONS_DELIVERIES, ISSUES_FEEDBACK,
    )  # fmt: skip
    for topic in topics:
        runtime.consume(topic, handler)
    runtime.consume(DEPARTMENTS, handler)
    runtime.keep(retention.processed_events(settings.processed_events_retention_days))
    provider = Provider(
        issuer=settings.workspace_oidc_issuer,
        client_id=settings.workspace_oidc_client_id,
        redirect_url=settings.workspace_oidc_redirect_url,
        scopes=settings.workspace_oidc_scopes,
    )
    ownership = Ownership(settings.workspace_ownership_url)
    notifications = Notifications(settings.workspace_notifications_url)
    runtime.on_stop(provider.close)
    runtime.on_stop(ownership.close)
    runtime.on_stop(notifications.close)
    key = settings.workspace_session_key.get_secret_value()
    if not key:
        log.warning("BATON_WORKSPACE_SESSION_KEY is not set: sessions end with this process")
        key = secrets.token_urlsafe(32)
    app = runtime.app(
        title="Baton workspace",
        routers=[work_router, issues_router, departments_router, stalls_router, scorecards_router],
    )
    app.state.identify = from_session
    app.state.changes = changes
    app.state.scores = Recent(settings.workspace_scores_seconds)
    app.state.provider = provider
    app.state.ownership = ownership
    app.state.notifications = notifications
    app.state.elsewhere = Cache(settings.workspace_scores_seconds)
    app.state.jar = Jar(
        key,
        session_seconds=settings.workspace_session_hours * 3600,
        secure=urlsplit(settings.workspace_oidc_redirect_url).scheme == "https",
    )
    app.include_router(signin_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.install_error_pages(app)
    return app
