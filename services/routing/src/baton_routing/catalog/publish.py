"""Routing owns the department catalog; it publishes every department on the
compacted ``departments`` topic at start, so other services (ownership) keep
their own copy of the liaisons and heads without reading routing's files."""

from __future__ import annotations

from datetime import UTC, datetime

from baton_shared.events import DepartmentUpdated, Envelope
from baton_shared.kafka.topics import DEPARTMENTS
from baton_shared.service import Runtime

from baton_routing.catalog import Catalog

SOURCE = "/baton/routing"


async def publish_catalog(*, runtime: Runtime, catalog: Catalog) -> None:
    # Publishing at every start is harmless: consumers upsert, compaction keeps the last.
    now = datetime.now(UTC)
    for department in catalog.departments:
        event = DepartmentUpdated(
            department=department.name,
            liaisons=department.liaisons,
            head=department.escalation_contact,
            updated_at=now,
        )
        await runtime.producer.publish(
            runtime.settings.topic(DEPARTMENTS), Envelope.wrap(source=SOURCE, data=event)
        )
