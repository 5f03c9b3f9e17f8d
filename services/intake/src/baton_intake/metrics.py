"""Intake's own metrics (the kernel's are in ``baton_runtime.metrics``): issues
taken in, per channel and priority, counted once their transaction commits."""

from __future__ import annotations

from baton_runtime.metrics import CHANNEL, OUTCOME, meter
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

PRIORITY = "baton.priority"

issues_taken_in = meter.create_counter(
    "baton.intake.issues",
    unit="{issue}",
    description="Issues taken in, by channel, priority and outcome: created (sent on to "
    "routing) or duplicate_linked (linked to an open issue of the same reporter).",
)


def count_on_commit(session: AsyncSession, *, channel: str, priority: str, outcome: str) -> None:
    """Count one issue once ``session``'s transaction commits; a rollback (a lost
    race on a unique key, retried) counts nothing."""
    labels = {CHANNEL: channel, PRIORITY: priority, OUTCOME: outcome}
    event.listen(
        session.sync_session, "after_commit", lambda _s: issues_taken_in.add(1, labels), once=True
    )
