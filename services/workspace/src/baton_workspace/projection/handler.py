"""The workspace's consumers: every event it shows goes into the read model,
once (``handle_once``), in the batch's unit of work; live pages learn of it once
it is committed."""

from __future__ import annotations

from collections.abc import Callable

from baton_contracts import DepartmentUpdated, Envelope
from baton_runtime.idempotency import after_commit, handle_once
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.projection import service
from baton_workspace.settings import Settings


async def on_event(
    envelope: Envelope, *, runtime: Runtime[Settings], changed: Callable[[], None]
) -> None:
    """Any topic the workspace reads: an issue's event, or a department's."""
    span = trace.get_current_span()

    async def effect(session: AsyncSession) -> None:
        event = envelope.payload()
        if isinstance(event, DepartmentUpdated):
            await service.department_updated(session, event)
        elif await service.record(session, envelope) is None:
            span.set_attribute("baton.outcome", "not_shown")
            return
        after_commit(changed)

    if not await handle_once(runtime.db, envelope.id, effect):
        span.set_attribute("baton.outcome", "already_handled")
