"""The acknowledge link in an owner's notice: notifications signs it (with the key
it shares with ownership), ownership serves it. It names the issue and the person;
used once, it acknowledges the issue as that person, at whatever version the issue
is now: the person's intent is "I have it", not a change to a state they saw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baton_runtime.links import LinkError, verify
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.errors import NotAllowed, NotFound
from baton_ownership.core.models import IssueOwner
from baton_ownership.core.store import Ctx
from baton_ownership.lifecycle import service as lifecycle
from baton_ownership.links.models import UsedLink

PURPOSE = "acknowledge"


@dataclass(frozen=True)
class Outcome:
    done: bool
    message: str


def claims_of(token: str, *, key: str) -> dict[str, Any]:
    """The token's claims (issue_id, person_id), or ``LinkError``."""
    claims = verify(token, key=key, purpose=PURPOSE)
    if not isinstance(claims.get("issue_id"), str) or not isinstance(claims.get("person_id"), str):
        raise LinkError("this link is not valid")
    return claims


async def used(session: AsyncSession, claims: dict[str, Any]) -> bool:
    return await session.get(UsedLink, claims["jti"]) is not None


async def current(session: AsyncSession, claims: dict[str, Any]) -> IssueOwner | None:
    return await session.get(IssueOwner, claims["issue_id"], populate_existing=True)


async def acknowledge(ctx: Ctx, claims: dict[str, Any]) -> Outcome:
    """In the caller's transaction: acknowledge as the token's person and spend the
    token. A refusal (no longer theirs, already acknowledged) spends nothing."""
    if await used(ctx.session, claims):
        return Outcome(False, "This link was already used.")
    row = await current(ctx.session, claims)
    if row is None:
        raise NotFound("The issue is not known here.", title="Issue not found")
    try:
        await lifecycle.acknowledge(ctx, issue_id=row.issue_id, version=row.version)
    except NotAllowed as refused:
        return Outcome(False, refused.detail)
    ctx.session.add(UsedLink(token_id=claims["jti"], issue_id=row.issue_id, used_at=ctx.clock()))
    return Outcome(True, "Acknowledged: the issue is yours, and its acknowledge clock stopped.")
