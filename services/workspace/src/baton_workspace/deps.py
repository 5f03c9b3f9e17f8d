"""Dependencies shared by the workspace's routers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends, Request

from baton_workspace.commands import Notifications, Ownership
from baton_workspace.settings import Settings
from baton_workspace.signin.identity import ActingDep, Who, WhoDep
from baton_workspace.web import utcnow


async def clock(request: Request) -> Callable[[], datetime]:
    # Tests and the benchmark replace app.state.clock: pages render the same at any hour.
    return getattr(request.app.state, "clock", utcnow)


async def ownership(request: Request) -> Ownership:
    found: Ownership = request.app.state.ownership
    return found


async def notifications(request: Request) -> Notifications:
    found: Notifications = request.app.state.notifications
    return found


ClockDep = Annotated[Callable[[], datetime], Depends(clock)]
OwnershipDep = Annotated[Ownership, Depends(ownership)]
NotificationsDep = Annotated[Notifications, Depends(notifications)]
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]

__all__ = [
    "ActingDep", "ClockDep", "NotificationsDep", "OwnershipDep", "RuntimeDep", "Who", "WhoDep",
]  # fmt: skip
