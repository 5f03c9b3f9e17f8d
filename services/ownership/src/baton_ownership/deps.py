"""Dependencies shared by ownership's routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from baton_shared.problems import Problem
from fastapi import Depends, Header, Request

from baton_ownership.assignment.models import utcnow


def actor(
    x_baton_actor: Annotated[str | None, Header(max_length=128)] = None,
) -> str:
    """Who is acting: the person id the authenticating gateway puts in ``X-Baton-Actor``."""
    if not x_baton_actor:
        raise Problem(
            401,
            "Say who is acting: send the X-Baton-Actor header with your person id.",
            title="Who are you?",
        )
    return x_baton_actor


def clock(request: Request) -> Callable[[], datetime]:
    # Tests replace app.state.clock to move time without sleeping.
    return getattr(request.app.state, "clock", utcnow)


ActorDep = Annotated[str, Depends(actor)]
ClockDep = Annotated[Callable[[], datetime], Depends(clock)]
