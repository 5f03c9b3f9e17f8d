"""Recipients' webhook secrets and webhook URLs (a Slack webhook URL is itself a
credential) are sealed at rest with Fernet, under ``BATON_ENCRYPTION_KEYS``.

Keys are comma-separated: the first seals, every one opens, so a key is rotated
by putting the new one first, resealing, then dropping the old one (the operator
commands are in ``baton_notifications.sealing``). Without keys, values are
stored as given (a warning says so at start); values stored that way are read as
they are and sealed by the next ``reseal`` once keys are set.
"""

from __future__ import annotations

import functools

from cryptography.fernet import InvalidToken, MultiFernet

from baton_notifications.settings import parse_keys

PREFIX = "sealed:v1:"


class SealingError(RuntimeError):
    """A sealed value that cannot be opened with the keys at hand."""


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
