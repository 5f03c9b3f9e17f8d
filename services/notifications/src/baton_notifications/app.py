from __future__ import annotations

from functools import partial
from pathlib import Path

from baton_shared.kafka.topics import ISSUES_OWNERSHIP
from baton_shared.service import Runtime
from fastapi import FastAPI

from baton_notifications.deliveries.handler import on_owner_assigned
from baton_notifications.deliveries.router import router as deliveries_router
from baton_notifications.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(
        name="notifications",
        settings=settings or Settings(),
        migrations_dir=Path(__file__).parent / "migrations",
    )
    runtime.consume(ISSUES_OWNERSHIP, partial(on_owner_assigned, runtime=runtime))
    return runtime.app(title="Baton notifications", routers=[deliveries_router])
