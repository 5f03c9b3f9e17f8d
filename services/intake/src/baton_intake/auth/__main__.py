"""Intake API keys, for operators: create one (printed once: only its hash is
stored), list them, revoke one.

    python -m baton_intake.auth create --name my-crm --scope intake:write
    python -m baton_intake.auth list
    python -m baton_intake.auth revoke 3f9a1c2b7d4e

A key's id is the part after ``baton_`` (``baton_<id>_<secret>``), so the key a
client holds says which row it is. Uses the service's own settings
(DATABASE_URL, BATON_DATABASE_SCHEMA, ...) and migrates the database first, so
it works before intake ever started.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from baton_runtime import migrations
from baton_runtime.db import Database
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.auth import service
from baton_intake.auth.models import SCOPES
from baton_intake.settings import Settings

MIGRATIONS = Path(__file__).parents[1] / "migrations"
T = TypeVar("T")


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        async with db.transaction() as session:
            return await work(session)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m baton_intake.auth")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a key and print it")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", choices=SCOPES, dest="scopes")
    sub.add_parser("list", help="every key: id, name, scopes, created, revoked")
    revoke = sub.add_parser("revoke", help="refuse a key from now on")
    revoke.add_argument("key_id", help="the key's id, as `list` shows it")
    args = parser.parse_args()
    settings = Settings()
    if settings.database_url.startswith("sqlite"):
        Path(settings.state_dir).mkdir(parents=True, exist_ok=True)
    migrations.upgrade(MIGRATIONS, settings.database_url, settings.database_schema)

    if args.command == "create":
        scopes = args.scopes or list(SCOPES)

        async def work(session: AsyncSession) -> str:
            _, plain = await service.create(session=session, name=args.name, scopes=scopes)
            return plain

        print(asyncio.run(_in_transaction(settings, work)))
    elif args.command == "list":
        keys = asyncio.run(_in_transaction(settings, lambda s: service.all_keys(session=s)))
        print("id\tname\tscopes\tcreated\trevoked")
        for k in keys:
            revoked = k.revoked_at.isoformat() if k.revoked_at else "-"
            print(f"{k.id}\t{k.name}\t{k.scopes}\t{k.created_at.isoformat()}\t{revoked}")
    else:

        async def revoke_key(session: AsyncSession):
            return await service.revoke(session=session, key_id=args.key_id)

        key = asyncio.run(_in_transaction(settings, revoke_key))
        if key is None:
            sys.exit(f"no API key with id {args.key_id!r} (`list` shows them)")
        # Every replica has forgotten what it read of the key once this returns.
        time.sleep(service.REMEMBER_S)
        print(f"revoked {key.id} ({key.name}) at {key.revoked_at.isoformat()}")


if __name__ == "__main__":
    main()
