"""Routing owns the department catalog and shares it on the compacted
``departments`` topic, so other services (ownership, notifications) keep their
own copy of each department's liaisons and head without reading routing's data.

Every catalog version written stages its departments in the outbox, in the
same transaction; each start publishes the current catalog again, which is
harmless (consumers upsert; compaction keeps the last)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from baton_contracts import DepartmentUpdated, Envelope
from baton_runtime.service import Runtime

from baton_routing.catalog.schemas import Catalog
from baton_routing.settings import Settings

if TYPE_CHECKING:
    from baton_routing.catalog.store import CatalogStore

SOURCE = "/baton/routing"


def department_events(catalog: Catalog) -> list[Envelope]:
    now = datetime.now(UTC)
    return [
        Envelope.wrap(
            source=SOURCE,
            data=DepartmentUpdated(
                department=d.name,
                liaisons=d.liaisons,
                head=d.head,
                updated_at=now,
                resolve_hours=d.resolve_hours,
                calendar=d.calendar,
                on_call=d.on_call,
                internal_targets=d.internal_targets,
            ),
        )
        for d in catalog.departments
    ]


async def publish_catalog(*, runtime: Runtime[Settings], catalog: CatalogStore) -> None:
    async with runtime.db.session() as session:
        _, current = await catalog.current(session)
    topic = catalog.departments_topic
    if topic is None:
        return
    for envelope in department_events(current):
        await runtime.producer.publish(topic, envelope)
