"""Dependencies shared by routing's routers. Those that hand out a feature's own
objects live beside it (``catalog.deps``, ``classifier.deps``), so that this module
imports no feature package and the features do not import each other through it."""

from __future__ import annotations

from typing import Annotated

from baton_runtime import identity
from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends

from baton_routing.settings import Settings

# Who is acting: X-Baton-Actor, or the person a verified token names (BATON_AUTH_MODE).
ActorDep = identity.ActorDep
# The running service, its settings typed as routing's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]
