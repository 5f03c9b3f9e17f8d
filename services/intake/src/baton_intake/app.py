from __future__ import annotations

from pathlib import Path

from baton_shared.kafka.topics import ISSUES_REPORTED
from baton_shared.service import Runtime
from fastapi import FastAPI

from baton_intake.issues.router import router as issues_router
from baton_intake.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime(
        name="intake",
        settings=settings or Settings(),
        migrations_dir=Path(__file__).parent / "migrations",
    )
    runtime.produces(ISSUES_REPORTED)
    return runtime.app(title="Baton intake", routers=[issues_router])
