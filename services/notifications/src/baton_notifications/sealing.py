"""Operator commands for the keys that seal recipients' webhook secrets and URLs
at rest (``baton_notifications.sealer``):

    python -m baton_notifications.sealing new-key   # print a new key
    python -m baton_notifications.sealing reseal    # reseal every stored value

To rotate, put the new key first in ``BATON_ENCRYPTION_KEYS``, run ``reseal``,
then drop the old key.
"""

from __future__ import annotations

import argparse
import asyncio

from baton_runtime.db import Database
from cryptography.fernet import Fernet

from baton_notifications.deliveries import service as deliveries
from baton_notifications.recipients import service as recipients
from baton_notifications.sealer import Sealer, sealer_for
from baton_notifications.settings import Settings


async def reseal_all(db: Database, sealer: Sealer) -> int:
    """Reseal every stored preference secret and URL, and the URL of every delivery
    still to be tried, with the first key, in one transaction. Returns how many rows
    held a value."""
    async with db.transaction() as session:
        changed = await recipients.reseal(session=session, sealer=sealer)
        changed += await deliveries.reseal_urls(session=session, sealer=sealer)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m baton_notifications.sealing")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("new-key", help="print a new key for BATON_ENCRYPTION_KEYS")
    sub.add_parser("reseal", help="reseal every stored secret with the first key")
    args = parser.parse_args()
    if args.command == "new-key":
        print(Fernet.generate_key().decode())
        return

    settings = Settings()
    sealer = sealer_for(settings.encryption_keys.get_secret_value())
    if not sealer.enabled:
        raise SystemExit("set BATON_ENCRYPTION_KEYS first: there is nothing to seal with")
    db = Database(settings.database_url, schema=settings.database_schema)

    async def run() -> int:
        try:
            return await reseal_all(db, sealer)
        finally:
            await db.dispose()

    print(f"resealed {asyncio.run(run())} rows with the first key")


if __name__ == "__main__":
    main()
