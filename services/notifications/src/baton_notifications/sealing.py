"""Recipients' webhook secrets and webhook URLs (a Slack webhook URL is itself a
credential) are sealed at rest with Fernet, under ``BATON_ENCRYPTION_KEYS``.

Keys are comma-separated: the first seals, every one opens, so a key is rotated
by putting the new one first, resealing, then dropping the old one:

    python -m baton_notifications.sealing new-key   # print a new key
    python -m baton_notifications.sealing reseal    # reseal every stored value

 Without keys, values are stored as given
(a warning says so at start); values stored that way are read as they are and
sealed by the next ``reseal`` once keys are set.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import col, select

PREFIX = "sealed:v1:"


class SealingError(RuntimeError):
    """A sealed value that cannot be opened with the keys at hand."""


def parse_keys(keys: str) -> list[Fernet]:
    """The Fernet keys in ``keys`` (comma-separated); ValueError naming a bad one."""
    fernets = []
    for n, key in enumerate((k.strip() for k in keys.split(",") if k.strip()), start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise ValueError(
                f"BATON_ENCRYPTION_KEYS: key {n} is not a Fernet key (32 url-safe base64 "
                "bytes); make one with: python -m baton_notifications.sealing new-key"
            ) from None
    return fernets


class Sealer:
    def __init__(self, keys: str) -> None:
        fernets = parse_keys(keys)
        self._box = MultiFernet(fernets) if fernets else None

    @property
    def enabled(self) -> bool:
        return self._box is not None

    def seal(self, plain: str | None) -> str | None:
        if plain is None or self._box is None:
            return plain
        return PREFIX + self._box.encrypt(plain.encode()).decode()

    def open(self, stored: str | None) -> str | None:
        if stored is None or not stored.startswith(PREFIX):
            return stored  # stored before keys were set
        if self._box is None:
            raise SealingError("a sealed value, but BATON_ENCRYPTION_KEYS is not set")
        try:
            return self._box.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SealingError(
                "a sealed value none of BATON_ENCRYPTION_KEYS opens: was a key dropped "
                "before resealing?"
            ) from None

    def reseal(self, stored: str | None) -> str | None:
        """Sealed with the first key (opening it with whichever key sealed it)."""
        return self.seal(self.open(stored))


@functools.lru_cache(maxsize=4)
def sealer_for(keys: str) -> Sealer:
    return Sealer(keys)


async def reseal_all(db, sealer: Sealer) -> int:  # type: ignore[no-untyped-def]
    """Reseal every stored preference secret and URL, and the URL of every delivery
    still to be tried, with the first key. Returns how many rows held a value."""
    from baton_notifications.deliveries.models import Delivery
    from baton_notifications.recipients.models import SEALED_FIELDS, RecipientPreferences

    changed = 0
    async with db.transaction() as session:
        for prefs in (await session.exec(select(RecipientPreferences))).all():
            if not any(getattr(prefs, name) for name in SEALED_FIELDS):
                continue
            for name in SEALED_FIELDS:
                setattr(prefs, name, sealer.reseal(getattr(prefs, name)))
            session.add(prefs)
            changed += 1
        pending = select(Delivery).where(
            col(Delivery.status).in_(["pending", "failed"]),
            col(Delivery.channel).in_(["slack", "webhook"]),
        )
        for delivery in (await session.exec(pending)).all():
            content = json.loads(delivery.content)
            if "url" in content:
                content["url"] = sealer.reseal(content["url"])
                delivery.content = json.dumps(content)
                session.add(delivery)
                changed += 1
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

    from baton_runtime.db import Database

    from baton_notifications.settings import Settings

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
