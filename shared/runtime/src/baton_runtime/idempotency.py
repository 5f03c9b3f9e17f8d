"""Idempotent handling: each consumed event id is recorded in the same transaction
as its effect, so a redelivered event changes nothing and sends nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_runtime.db import Database


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"

    event_id: str = Field(primary_key=True, max_length=64)
    # Indexed for retention (baton_runtime.retention), which deletes old ids.
    processed_at: datetime = Field(default_factory=lambda: datetime.now(UTC), index=True)


async def claim(session: AsyncSession, event_id: str) -> bool:
    """Record ``event_id`` in this transaction; False when it was already handled.

    Two replicas racing on the same event: the second one's insert waits for the
    first's commit and then fails on the primary key; its retry finds the row.
    """
    if await session.get(ProcessedEvent, event_id) is not None:
        return False
    session.add(ProcessedEvent(event_id=event_id))
    await session.flush()
    return True


async def handle_once(
    db: Database, event_id: str, effect: Callable[[AsyncSession], Awaitable[None]]
) -> bool:
    """Run ``effect`` and record the event in one transaction; skip a repeat.

    Returns whether the effect ran.
    """
    async with db.transaction() as session:
        if not await claim(session, event_id):
            return False
        await effect(session)
    return True
