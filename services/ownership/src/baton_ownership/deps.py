"""Dependencies shared by ownership's routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from baton_shared import identity
from fastapi import Depends, Request

from baton_ownership.assignment.models import utcnow


def clock(request: Request) -> Callable[[], datetime]:
    # Tests replace app.state.clock to move time without sleeping.
    return getattr(request.app.state, "clock", utcnow)


# Who is acting: X-Baton-Actor, or the person a verified token names (BATON_AUTH_MODE).
ActorDep = identity.ActorDep
ClockDep = Annotated[Callable[[], datetime], Depends(clock)]
