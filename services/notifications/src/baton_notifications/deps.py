"""Dependencies shared by notifications's routers."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends

from baton_notifications.settings import Settings

# The running service, its settings typed as notifications's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]
