"""Routing purges its published outbox rows and processed event ids; its
decisions, catalog versions and labels are business records and stay."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from baton_routing.app import create_app
from baton_routing.settings import Settings
from baton_shared import migrations
from baton_shared.idempotency import ProcessedEvent
from sqlmodel import select

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"


async def test_processed_event_ids_are_kept_35_days_by_default(tmp_path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", router_enabled=False)
    migrations.upgrade(MIGRATIONS, settings.database_url)
    runtime = create_app(settings).state.runtime
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        session.add(ProcessedEvent(event_id="old", processed_at=now - timedelta(days=35.1)))
        session.add(ProcessedEvent(event_id="young", processed_at=now - timedelta(days=34.9)))

    counts = await runtime.purge()

    async with runtime.db.session() as session:
        kept = (await session.exec(select(ProcessedEvent.event_id))).all()
    await runtime.db.dispose()
    assert counts == {"outbox": 0, "processed_events": 1}
    assert kept == ["young"]
