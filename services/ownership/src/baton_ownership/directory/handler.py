"""On ``DepartmentUpdated``: keep the directory in step with routing's catalog."""

from __future__ import annotations

from baton_contracts import DepartmentUpdated, Envelope
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.directory import service as directory
from baton_ownership.settings import Settings


async def on_department_updated(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    event = envelope.payload()
    if not isinstance(event, DepartmentUpdated):
        return

    async def effect(session: AsyncSession) -> None:
        # The policy is written with the roster, in the same statement: an older
        # catalog version, arriving late, changes neither.
        await directory.upsert_department(
            session=session,
            department=event.department,
            liaisons=event.liaisons,
            head=event.head,
            as_of=event.updated_at,
            policy=directory.policy_values(
                resolve_hours=event.resolve_hours, calendar=event.calendar,
                on_call=event.on_call, internal_targets=event.internal_targets,
            ),
        )  # fmt: skip

    await handle_once(runtime.db, envelope.id, effect)
