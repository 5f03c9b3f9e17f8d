"""Ownership purges its published outbox rows and processed event ids; owners,
history, hand-offs and deadlines are business records and stay."""

from datetime import UTC, datetime, timedelta

from baton_ownership.app import create_app
from baton_ownership.settings import Settings
from baton_shared import migrations
from baton_shared.idempotency import ProcessedEvent
from sqlmodel import select

from .conftest import MIGRATIONS


async def test_processed_event_ids_past_their_retention_are_purged(tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db", processed_events_retention_days=40
    )
    migrations.upgrade(MIGRATIONS, settings.database_url)
    runtime = create_app(settings).state.runtime
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        session.add(ProcessedEvent(event_id="old", processed_at=now - timedelta(days=41)))
        session.add(ProcessedEvent(event_id="young", processed_at=now - timedelta(days=39)))

    counts = await runtime.purge()

    async with runtime.db.session() as session:
        kept = (await session.exec(select(ProcessedEvent.event_id))).all()
    await runtime.db.dispose()
    assert counts == {"outbox": 0, "processed_events": 1}
    assert kept == ["young"]
