"""Dependencies shared by intake's routers."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends

from baton_intake.settings import Settings

# The running service, its settings typed as intake's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]
