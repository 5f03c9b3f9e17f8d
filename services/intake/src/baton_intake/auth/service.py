from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from baton_runtime.db import Database
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.auth.models import SCOPES, ApiKey

PREFIX = "baton_"
# How long a replica goes by what it last read of a key: `revoke` waits this long
# before it answers, so a revoked key is refused from its next request on.
REMEMBER_S = 1.0


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create(*, session: AsyncSession, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key and its one-time plain text (never stored)."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}")
    key_id = secrets.token_hex(6)
    plain = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(id=key_id, name=name, key_hash=hash_key(plain), scopes=" ".join(scopes))
    session.add(api_key)
    await session.flush()
    return api_key, plain


async def verify(*, session: AsyncSession, plain: str) -> ApiKey | None:
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    return (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(plain)))).first()


async def all_keys(*, session: AsyncSession) -> list[ApiKey]:
    return list((await session.exec(select(ApiKey).order_by(ApiKey.created_at))).all())


async def revoke(*, session: AsyncSession, key_id: str) -> ApiKey | None:
    """Refuse the key from now on (its row stays, for the record); None if unknown."""
    api_key = await session.get(ApiKey, key_id)
    if api_key is not None and api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        session.add(api_key)
        await session.flush()
    return api_key


@dataclass(frozen=True)
class KnownKey:
    """What a request needs of a key it presented: no hash, no secret."""

    id: str
    name: str
    scopes: frozenset[str]
    revoked: bool


class KeyCache:
    """Keys found in the database, remembered for ``REMEMBER_S`` by their hash, so a
    system reporting many issues costs one lookup a second, not one a request (on
    PostgreSQL a lookup is a connection checkout and three round trips). Requests
    that find a key missing or expired while it is being looked up wait for that
    lookup rather than make their own: a busy system's requests in flight when its
    key expires cost one lookup, not one each. Unknown keys are not remembered:
    each try is looked up, and the cache cannot be filled."""

    def __init__(
        self,
        db: Database,
        *,
        ttl_s: float = REMEMBER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._clock = clock
        self._known: dict[str, tuple[float, KnownKey]] = {}
        self._looking: dict[str, tuple[float, asyncio.Task[KnownKey | None]]] = {}

    async def find(self, plain: str) -> KnownKey | None:
        if not plain.startswith(PREFIX) or len(plain) > 200:
            return None
        digest = hash_key(plain)  # a microsecond: the cache holds no key a client sent
        now = self._clock()
        remembered = self._known.get(digest)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        started, lookup = self._looking.get(digest, (now, None))
        # One that began longer ago than a key is remembered could miss a revocation
        # that `revoke` has already answered for: it is not joined.
        if lookup is None or started + self._ttl_s <= now:
            lookup = asyncio.create_task(self._look_up(plain, digest, now))
            self._looking[digest] = (now, lookup)
            lookup.add_done_callback(lambda done: self._forget(digest, done))
        # Shielded: a request that goes away (its client hung up) leaves the lookup
        # running for the others waiting on it.
        return await asyncio.shield(lookup)

    def _forget(self, digest: str, done: asyncio.Task[KnownKey | None]) -> None:
        if not done.cancelled():
            done.exception()  # the waiters have it; none left is no "never retrieved"
        if self._looking.get(digest, (0.0, None))[1] is done:
            del self._looking[digest]

    async def _look_up(self, plain: str, digest: str, now: float) -> KnownKey | None:
        async with self._db.session() as session:
            row = await verify(session=session, plain=plain)
        if row is None:
            self._known.pop(digest, None)
            return None
        revoked = row.revoked_at is not None
        known = KnownKey(row.id, row.name, frozenset(row.scopes.split()), revoked)
        if len(self._known) >= 1024:  # keys are few; this only bounds a surprise
            self._known.clear()
        # From when the lookup began: what it read may be that old. A lookup that
        # began before another one that has already answered leaves its answer.
        remembered = self._known.get(digest)
        if remembered is None or remembered[0] < now + self._ttl_s:
            self._known[digest] = (now + self._ttl_s, known)
        return known
