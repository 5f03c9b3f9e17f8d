"""A delivery is kept BATON_DELIVERY_RETENTION_DAYS after it was sent or finally
failed, then deleted; a pending one is never deleted, however old."""

from datetime import UTC, datetime, timedelta

from baton_notifications.app import create_app
from baton_notifications.deliveries.models import Delivery
from baton_notifications.settings import Settings
from baton_runtime import migrations
from sqlmodel import select

from .helpers import ISSUE, MIGRATIONS

NOW = datetime.now(UTC)


def delivery(name: str, status: str, finished_days_ago: float | None) -> Delivery:
    at = NOW - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return Delivery(
        event_id=name,
        event_type="x",
        issue_id=ISSUE,
        recipient_id="fin-gita",
        address="gita.rao@example.com",
        channel="email",
        status=status,
        created_at=NOW - timedelta(days=200),
        sent_at=at if status == "sent" else None,
        failed_at=at if status == "failed" else None,
        next_attempt_at=NOW if status == "pending" else None,
    )


async def runtime_with_deliveries(tmp_path, **settings):
    s = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/n.db", **settings)
    migrations.upgrade(MIGRATIONS, s.database_url)
    runtime = create_app(s).state.runtime
    async with runtime.db.transaction() as session:
        for row in (
            delivery("sent-old", "sent", 91),
            delivery("sent-young", "sent", 89),
            delivery("failed-old", "failed", 91),
            delivery("failed-young", "failed", 89),
            delivery("pending", "pending", None),
        ):
            session.add(row)
    return runtime


async def kept(runtime) -> list[str]:
    async with runtime.db.session() as session:
        names = (await session.exec(select(Delivery.event_id).order_by(Delivery.id))).all()
    await runtime.db.dispose()
    return list(names)


async def test_finished_deliveries_go_after_90_days_and_pending_ones_stay(tmp_path):
    runtime = await runtime_with_deliveries(tmp_path)

    counts = await runtime.purge()

    assert counts == {
        "outbox": 0,
        "processed_events": 0,
        "deliveries_sent": 1,
        "deliveries_failed": 1,
    }
    assert await kept(runtime) == ["sent-young", "failed-young", "pending"]


async def test_zero_days_keeps_every_delivery(tmp_path):
    runtime = await runtime_with_deliveries(tmp_path, delivery_retention_days=0)

    await runtime.purge()

    assert len(await kept(runtime)) == 5
