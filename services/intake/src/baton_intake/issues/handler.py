"""What intake learns back from ownership: whether an issue it took in is
resolved (a near-duplicate links only to an issue still open), and what its
reporter must hear of it (``outbound``: who owns it, replies, the resolution)."""

from __future__ import annotations

from collections.abc import Callable

from baton_contracts import Envelope, IssueReopened, IssueResolved, OwnerAssigned
from baton_runtime import rows
from baton_runtime.idempotency import after_commit, handle_once
from baton_runtime.service import Runtime
from sqlalchemy import bindparam, update
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues import departments
from baton_intake.issues.models import Issue
from baton_intake.outbound import service as outbound
from baton_intake.outbound.models import Conversation
from baton_intake.settings import Settings

# The ownership events intake acts on; the consumer passes over the others unparsed.
TAKES = (IssueResolved, IssueReopened, *outbound.ANSWERED, *departments.NAMING)

_ISSUES = Issue.__table__
# Built once: resolved (a time), or open again (None).
_RESOLVED = (
    update(_ISSUES)
    .where(_ISSUES.c.id == bindparam("issue"))
    .values(resolved_at=bindparam("resolved_at", type_=_ISSUES.c.resolved_at.type))
)


async def on_ownership_event(
    envelope: Envelope,
    *,
    runtime: Runtime[Settings],
    send_now: Callable[[], None] = lambda: None,
) -> None:
    """``IssueResolved`` marks the issue resolved, ``IssueReopened`` open again;
    ``OwnerAssigned`` says which department holds it (who may read it), a
    hand-off or help asked which others it concerns (``departments``).
    All come on the issue's partition, so in the order they happened. Messages to
    the reporter are staged in the same transaction; ``send_now`` wakes the sender."""
    change = envelope.payload()
    if not isinstance(change, TAKES):
        # Acknowledged, the clocks' DeadlineSet, ...: nothing for intake or the
        # reporter, so no transaction (a redelivery is as harmless).
        return

    async def effect(session: AsyncSession) -> None:
        if isinstance(change, departments.NAMING):
            await departments.remember(session, change)  # who may read it (router)
            return
        if isinstance(change, OwnerAssigned):
            if departments.moves(change):
                await departments.remember(session, change)  # before it is the holder's
            # The conversation keeps the department (who may read the issue) and the
            # reporter's messages what they must hear: one UPDATE, mostly.
            if await outbound.on_owner_assigned(
                session, runtime.settings, change, cause=envelope.id
            ):
                after_commit(send_now)
            return
        if isinstance(change, IssueResolved | IssueReopened):
            # No row (taken in by another environment sharing the cluster): no change.
            resolved_at = change.at if isinstance(change, IssueResolved) else None
            await rows.rowcount(
                session, _RESOLVED, {"issue": change.issue_id, "resolved_at": resolved_at}
            )
        if isinstance(change, IssueReopened):
            return  # nothing the reporter hears of
        conversation = await session.get(Conversation, change.issue_id)
        if await outbound.on_ownership(
            session, runtime.settings, change, cause=envelope.id, conversation=conversation
        ):
            after_commit(send_now)

    await handle_once(runtime.db, envelope.id, effect)
