"""Create an intake API key and print it (once: only its hash is stored).

    python -m baton_intake.auth create --name my-crm --scope intake:write

Uses the service's own settings (DATABASE_URL, BATON_DATABASE_SCHEMA, ...) and
migrates the database first, so it works before intake ever started.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from baton_shared import migrations
from baton_shared.db import Database

from baton_intake.auth import service
from baton_intake.auth.models import SCOPES
from baton_intake.settings import Settings

MIGRATIONS = Path(__file__).parents[1] / "migrations"


async def _create(settings: Settings, name: str, scopes: list[str]) -> str:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        async with db.transaction() as session:
            _, plain = await service.create(session=session, name=name, scopes=scopes)
    finally:
        await db.dispose()
    return plain


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m baton_intake.auth")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a key and print it")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", choices=SCOPES, dest="scopes")
    args = parser.parse_args()
    settings = Settings()
    if settings.database_url.startswith("sqlite"):
        Path(settings.state_dir).mkdir(parents=True, exist_ok=True)
    migrations.upgrade(MIGRATIONS, settings.database_url, settings.database_schema)
    print(asyncio.run(_create(settings, args.name, args.scopes or list(SCOPES))))


if __name__ == "__main__":
    main()
