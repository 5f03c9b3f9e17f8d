"""Dependencies shared by intake's routers: the running service, and who may call.

Systems call with an API key (``Authorization: Bearer baton_...``) that has a
scope; people (agents, liaisons) with their identity provider's token and a role.
No valid key or token is a 401, a missing scope or role a 403. Health
endpoints need neither."""

from __future__ import annotations

from typing import Annotated, Any

from baton_runtime.identity import Caller, CallerDep
from baton_runtime.problems import Problem
from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends, Request

from baton_intake.auth import service as keys
from baton_intake.auth.service import PREFIX as KEY_PREFIX
from baton_intake.settings import Settings

# The running service, its settings typed as intake's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="baton-intake"'}


async def identify(request: Request, authorization: str | None) -> Caller | None:
    """An intake API key (``Bearer baton_...``) names a system; anything else is left
    to the kernel: a person's token (or, in development, X-Baton-Actor)."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX):
        return None
    cache: keys.KeyCache = request.app.state.api_keys
    api_key = await cache.find(token)
    if api_key is None or api_key.revoked:
        raise Problem(401, "This API key is not valid.", title="Unauthorized", headers=_CHALLENGE)
    return Caller(person_id=api_key.id, system=api_key.name, scopes=api_key.scopes)


def check(who: Caller, scope: str, *roles: str) -> None:
    """A 403 unless ``who`` is a system whose API key has ``scope``, or a person
    with one of ``roles``."""
    if who.system is not None:
        if scope not in who.scopes:
            raise Problem(403, f"This API key lacks the scope {scope!r}.", title="Forbidden")
    elif not who.may(*roles):
        raise Problem(403, f"This needs one of the roles {', '.join(roles)}.", title="Not allowed")


def access(scope: str, *roles: str) -> dict[str, Any]:
    """Route keyword arguments: a system whose API key has ``scope``, or a person with
    one of ``roles`` (published as ``x-baton-scopes`` and ``x-baton-roles``)."""

    async def gate(who: CallerDep) -> None:
        check(who, scope, *roles)

    extra = {"x-baton-roles": list(roles), "x-baton-scopes": [scope]}
    return {"dependencies": [Depends(gate)], "openapi_extra": extra}


def principal(who: Caller) -> str:
    """Whose Idempotency-Keys these are: an API key's id, or ``person:<id>``."""
    return who.person_id if who.system is not None else f"person:{who.person_id}"


# Who may report, and who may read what was reported.
WRITE_SCOPE, WRITE_ROLES = "intake:write", ("agent",)
WRITE = access(WRITE_SCOPE, *WRITE_ROLES)
READ = access("intake:read", "agent", "liaison", "head")
