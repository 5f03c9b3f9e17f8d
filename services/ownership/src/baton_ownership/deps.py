"""Dependencies shared by ownership's routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from baton_runtime import identity
from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends, Request

from baton_ownership.core.state import utcnow
from baton_ownership.settings import Settings


async def clock(request: Request) -> Callable[[], datetime]:
    # Tests replace app.state.clock to move time without sleeping.
    return getattr(request.app.state, "clock", utcnow)


# Who is acting: X-Baton-Actor, or the person a verified token names (BATON_AUTH_MODE).
ActorDep = identity.ActorDep
ClockDep = Annotated[Callable[[], datetime], Depends(clock)]
# The running service, its settings typed as ownership's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]
