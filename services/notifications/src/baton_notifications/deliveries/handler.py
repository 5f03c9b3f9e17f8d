"""On an ownership event, or the reporter writing again: record a pending delivery
for everyone it concerns. On a report: keep a copy of what the issue is.

Recording is the whole of the consumer's work, in the transaction that claims
the event id, so a redelivered event records nothing twice; the dispatcher
sends, handed what was recorded once it is committed (``handover``). Nothing
here waits on a mail server or a webhook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial

from baton_contracts import Envelope, IssueReported, OwnerAssigned
from baton_runtime.idempotency import after_commit, handle_once
from baton_runtime.service import Runtime
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.deliveries import plan
from baton_notifications.deliveries import service as deliveries
from baton_notifications.deliveries.handover import Leased
from baton_notifications.deliveries.models import utcnow
from baton_notifications.issues import service as issues
from baton_notifications.reporters import service as reporters
from baton_notifications.settings import Settings

# What calls for a copy of the issue or a notice; the consumer passes over the rest.
TAKES = (IssueReported, *plan.TOLD_OF)


async def on_event(
    envelope: Envelope,
    *,
    runtime: Runtime[Settings],
    clock: deliveries.Clock = utcnow,
    hand_over: Callable[[list[Leased]], None] | None = None,
) -> None:
    """``IssueReported``: the copy (and an employee only staff channels reach);
    ``OwnerAssigned`` completes it; every event, the notices it calls for
    (``IssueUpdated``, ``IssueDuplicateLinked``: the owner hears the new words).

    ``hand_over``: this replica's dispatcher (``handover.Dispatcher``). The
    deliveries due now are recorded leased to it and handed to it once the
    transaction commits; without one they wait for a dispatcher's poll."""
    event = envelope.payload()
    if not isinstance(event, TAKES):
        # Nothing to keep, nobody to tell: no transaction (a redelivery is as harmless).
        return
    settings = runtime.settings
    span = trace.get_current_span()
    recorded: list[deliveries.Recorded] = []

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
            recorded.append(
                await deliveries.record(
                    session=session,
                    envelope=envelope,
                    event=event,
                    notice=notice,
                    issue=copy,
                    settings=settings,
                    clock=clock,
                    leased=hand_over is not None,
                )
            )
        if hand_over is not None and (leased := _leased(recorded)):
            after_commit(partial(hand_over, leased))  # sent once they are durable

    if await handle_once(runtime.db, envelope.id, effect):
        span.set_attribute("baton.deliveries_recorded", sum(len(r.rows) for r in recorded))
    else:
        span.set_attribute("baton.outcome", "already_handled")


def _leased(recorded: list[deliveries.Recorded]) -> list[Leased]:
    """What the event recorded leased, for the dispatcher. A notice is one event and
    recipient (``service.lock_notices``): one with a single delivery is settled
    without reading the others (``marking``)."""
    per_recipient = Counter(row.recipient_id for r in recorded for row in r.rows)
    return [
        Leased(row, r.prefs, r.hours, alone=per_recipient[row.recipient_id] == 1)
        for r in recorded
        if r.hours is not None
        for row in r.leased()
    ]


# What the app consumes each topic with: the same handling for both.
on_ownership_event = on_issue_reported = on_event
