"""Dependencies shared by notifications's routers."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.service import Runtime, get_runtime
from fastapi import Depends

from baton_notifications.sealer import Sealer, sealer_for
from baton_notifications.senders.egress import Policy
from baton_notifications.settings import Settings

# The running service, its settings typed as notifications's own.
RuntimeDep = Annotated[Runtime[Settings], Depends(get_runtime)]


async def get_sealer(runtime: RuntimeDep) -> Sealer:
    return sealer_for(runtime.settings.encryption_keys.get_secret_value())


# Seals and opens recipients' webhook secrets and URLs with the configured keys.
SealerDep = Annotated[Sealer, Depends(get_sealer)]


async def get_egress_policy(runtime: RuntimeDep) -> Policy:
    return Policy.of(runtime.settings)


# Where webhooks may go (baton_notifications.senders.egress).
EgressDep = Annotated[Policy, Depends(get_egress_policy)]
