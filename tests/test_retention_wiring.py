"""Every service purges its bookkeeping, and nothing else, on its own migrated
schema: a purge naming a table or column the service lacks fails here (the
periodic job would only log it)."""

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from baton_runtime import migrations
from baton_runtime.idempotency import ProcessedEvent
from sqlmodel import select

PURGES = {
    "intake": {
        "outbox",
        "processed_events",
        "idempotency_keys",
        "ignored_mail",
        "reporter_messages",
    },
    "routing": {"outbox", "processed_events"},
    "ownership": {"outbox", "processed_events"},
    "notifications": {"outbox", "processed_events", "deliveries_sent", "deliveries_failed"},
}


@pytest.mark.parametrize("service", PURGES)
async def test_each_service_purges_its_bookkeeping_on_its_own_schema(
    service, tmp_path, caplog, monkeypatch
):
    monkeypatch.setenv("BATON_ROUTER_ENABLED", "false")  # no training: not needed here
    package = importlib.import_module(f"baton_{service}")
    settings = importlib.import_module(f"baton_{service}.settings").Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    )
    migrations.upgrade(Path(package.__file__).parent / "migrations", settings.database_url)
    runtime = importlib.import_module(f"baton_{service}.app").create_app(settings).state.runtime
    # Every service consumes events, so every one keeps processed ids 35 days.
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        session.add(ProcessedEvent(event_id="old", processed_at=now - timedelta(days=35.1)))
        session.add(ProcessedEvent(event_id="young", processed_at=now - timedelta(days=34.9)))

    counts = await runtime.purge()

    assert "failed" not in caplog.text
    assert set(counts) == PURGES[service]
    async with runtime.db.session() as session:
        kept = (await session.exec(select(ProcessedEvent.event_id))).all()
    assert (counts["processed_events"], kept) == (1, ["young"])
    await runtime.db.dispose()
