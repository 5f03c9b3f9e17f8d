from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.auth.models import SCOPES, ApiKey

PREFIX = "baton_"


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
