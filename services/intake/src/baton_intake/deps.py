"""Dependencies shared by intake's routers: the running service, and an API key
with a scope (``Authorization: Bearer <key>``: 401 without a valid key, 403
without the scope). Health endpoints do not use these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from baton_runtime.problems import Problem
from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from baton_intake.auth import service as keys
from baton_intake.auth.models import ApiKey
from baton_intake.settings import Settings

# The running service, its settings typed as intake's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]

_bearer = HTTPBearer(auto_error=False, description="An intake API key (`baton_...`).")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="baton-intake"'}


def require(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    async def dependency(
        runtime: RuntimeDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Problem(
                401, "Send an API key as 'Authorization: Bearer <key>'.",
                title="Unauthorized", headers=_CHALLENGE,
            )  # fmt: skip
        async with runtime.db.session() as session:
            api_key = await keys.verify(session=session, plain=credentials.credentials)
        if api_key is None or api_key.revoked_at is not None:
            raise Problem(
                401, "This API key is not valid.", title="Unauthorized", headers=_CHALLENGE
            )
        if not api_key.allows(scope):
            raise Problem(403, f"This API key lacks the scope {scope!r}.", title="Forbidden")
        return api_key

    return dependency


Writer = Annotated[ApiKey, Depends(require("intake:write"))]
Reader = Annotated[ApiKey, Depends(require("intake:read"))]
