"""On ``DepartmentUpdated``: keep the directory in step with routing's catalog."""

from __future__ import annotations

from baton_contracts import DepartmentUpdated, Envelope
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.directory import service as directory
from baton_notifications.settings import Settings


async def on_department_updated(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    event = envelope.payload()
    if not isinstance(event, DepartmentUpdated):
        return

    async def effect(session: AsyncSession) -> None:
        await directory.upsert_department(
            session=session, department=event.department, liaisons=event.liaisons, head=event.head
        )
        await directory.set_calendar(
            session=session, department=event.department, calendar=event.calendar
        )

    await handle_once(runtime.db, envelope.id, effect)
