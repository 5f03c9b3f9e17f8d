"""On an ownership event, or the reporter writing again: record a pending delivery
for everyone it concerns. On a report: keep a copy of what the issue is.

Recording is the whole of the consumer's work, in the transaction that claims
the event id, so a redelivered event records nothing twice; the dispatcher
sends. Nothing here waits on a mail server or a webhook.
"""

from __future__ import annotations

from collections.abc import Callable

from baton_contracts import Envelope, IssueReported, OwnerAssigned
from baton_runtime.idempotency import after_commit, handle_once
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.deliveries import plan
from baton_notifications.deliveries import service as deliveries
from baton_notifications.deliveries.models import utcnow
from baton_notifications.issues import service as issues
from baton_notifications.reporters import service as reporters
from baton_notifications.settings import Settings


async def on_event(
    envelope: Envelope,
    *,
    runtime: Runtime[Settings],
    clock: deliveries.Clock = utcnow,
    dispatch_now: Callable[[], None] = lambda: None,
) -> None:
    """``IssueReported``: the copy (and an employee only staff channels reach);
    ``OwnerAssigned`` completes it; every event, the notices it calls for
    (``IssueUpdated``, ``IssueDuplicateLinked``: the owner hears the new words)."""
    event = envelope.payload()
    if not isinstance(event, (IssueReported, *plan.TOLD_OF)):
        # Nothing to keep, nobody to tell: no transaction (a redelivery is as harmless).
        return
    settings = runtime.settings
    span = trace.get_current_span()
    recorded: list[int] = []

    async def effect(session: AsyncSession) -> None:
        copy = None  # the issue's copy, read once: every notice of the event says it
        if isinstance(event, IssueReported):
            await issues.remember(session, event)
            await reporters.remember(session, event)
        elif isinstance(event, OwnerAssigned):
            copy = await issues.follow(session, event)
        for notice in await plan.notices(event, session=session):
            if copy is None:
                copy = await issues.copy_of(session, envelope.subject)
            rows = await deliveries.record(
                session=session,
                envelope=envelope,
                event=event,
                notice=notice,
                issue=copy,
                settings=settings,
                clock=clock,
            )
            recorded.extend(1 for _ in rows)
        if recorded:
            after_commit(dispatch_now)  # the dispatcher sends them once they are durable

    if await handle_once(runtime.db, envelope.id, effect):
        span.set_attribute("baton.deliveries_recorded", len(recorded))
    else:
        span.set_attribute("baton.outcome", "already_handled")


# What the app consumes each topic with: the same handling for both.
on_ownership_event = on_issue_reported = on_event
