"""On ``IssueResolved`` (from ``issues.ownership``): the resolved issue becomes a
training label, with the department that finally resolved it, whatever routing
first guessed."""

from __future__ import annotations

from baton_contracts import Envelope, IssueResolved
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.classifier import service
from baton_routing.settings import Settings

# Of ownership's events only resolutions teach; the consumer passes over the others.
TAKES = (IssueResolved,)


async def on_ownership_event(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    resolved = envelope.payload()
    if not isinstance(resolved, TAKES):
        return  # the other ownership events teach the classifier nothing

    async def effect(session: AsyncSession) -> None:
        await service.label(session=session, resolved=resolved)

    await handle_once(runtime.db, envelope.id, effect)
