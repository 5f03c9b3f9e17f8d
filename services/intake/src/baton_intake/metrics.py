"""Intake's own metrics (the kernel's are in ``baton_runtime.metrics``): issues
taken in, per channel and priority, counted once their transaction commits."""

from __future__ import annotations

from baton_runtime.metrics import CHANNEL, OUTCOME, meter
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

PRIORITY = "baton.priority"

issues_taken_in = meter.create_counter(
    "baton.intake.issues",
    unit="{issue}",
    description="Issues taken in, by channel, priority and outcome: created (sent on to "
    "routing) or duplicate_linked (linked to an open issue of the same reporter).",
)


_COUNTED = "baton_intake_issues_taken_in"


def count_on_commit(session: AsyncSession, *, channel: str, priority: str, outcome: str) -> None:
    """Count one issue once ``session``'s transaction commits; a rollback (a lost
    race on a unique key, retried) counts nothing. (Kept in the session's ``info``
    for the listeners below: a listener of its own per session costs a request more.)"""
    labels = {CHANNEL: channel, PRIORITY: priority, OUTCOME: outcome}
    session.sync_session.info.setdefault(_COUNTED, []).append(labels)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for labels in session.info.pop(_COUNTED, ()):
        issues_taken_in.add(1, labels)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # over without a commit (after one, nothing is left)
        session.info.pop(_COUNTED, None)


reporter_messages = meter.create_counter(
    "baton.intake.reporter_messages",
    unit="{message}",
    description="Messages to reporters (acknowledged, reassigned, reply, resolved), by route "
    "(email, connector, none) and outcome: sent, pending (to be tried again), failed, skipped "
    "(held back by a guard, or no way to reach the reporter).",
)


def count_reporter_message(kind: str, *, route: str, outcome: str) -> None:
    reporter_messages.add(1, {"baton.kind": kind, "baton.route": route, OUTCOME: outcome})
