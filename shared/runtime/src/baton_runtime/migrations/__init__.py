"""Alembic, shared by every service: each keeps its own migration scripts and
calls ``run_env`` from its ``env.py``; ``upgrade`` applies them (the prestart step).

The kernel's own tables (the outbox, processed event ids) are migrated once, here:
``kernel/`` is an Alembic branch (label ``kernel``) that every service's scripts
include beside their own, so a service's database holds both branches' heads.

Each service's scripts start from one baseline: the scripts that built its
tables one change at a time were squashed before the first release. A baseline
carries the revision id of the last script it replaces, so a database those
scripts migrated is already at the baseline; the kernel's branch then finds its
tables there and leaves them be (IF NOT EXISTS).

``python -m baton_runtime.migrations baton_<service>`` migrates one service's
database with that service's own settings: the Kubernetes migration job runs it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from baton_runtime.db import async_url, make_engine

# The kernel's branch of revisions, included in every service's script directory.
KERNEL_VERSIONS = Path(__file__).parent / "kernel"


def alembic_config(
    script_location: Path | str, database_url: str, schema: str | None = None
) -> Config:
    script_location = Path(script_location)
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("path_separator", "os")
    locations = [script_location / "versions", KERNEL_VERSIONS]
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    cfg.set_main_option("sqlalchemy.url", async_url(database_url).replace("%", "%%"))
    cfg.attributes["schema"] = schema
    return cfg


def upgrade(script_location: Path, database_url: str, schema: str | None = None) -> None:
    """Migrate both branches (the service's and the kernel's) to their heads.
    Synchronous: call it in a thread from async code."""
    command.upgrade(alembic_config(script_location, database_url, schema), "heads")


def run_env(metadata: MetaData) -> None:
    """The body of a service's ``env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    schema = context.config.attributes.get("schema")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = make_engine(url, schema=schema)
        async with engine.connect() as connection:
            if schema and engine.dialect.name == "postgresql":
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run())
        return
    # Called from async code (a test, a prestart hook): migrate on a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


def upgrade_service(package: str) -> None:
    """Migrate ``package`` (say ``baton_ownership``) to head, configured like the
    service itself: its ``Settings`` read DATABASE_URL and BATON_DATABASE_SCHEMA."""
    settings = importlib.import_module(f"{package}.settings").Settings()
    root = Path(importlib.import_module(package).__file__ or "").parent
    upgrade(root / "migrations", settings.database_url, settings.database_schema)
