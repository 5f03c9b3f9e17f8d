"""What the notifications tests share: a migrated SQLite runtime, a clock that
moves only when told, and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from baton_contracts import DepartmentUpdated, Envelope, Person
from baton_notifications.deliveries.dispatcher import dispatch_due
from baton_notifications.deliveries.models import Delivery
from baton_notifications.sealer import Sealer, sealer_for
from baton_notifications.settings import Settings
from baton_runtime import migrations
from baton_runtime.outbox import OutboxMessage
from baton_runtime.service import Runtime
from cryptography.fernet import Fernet
from sqlmodel import select

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_notifications" / "migrations"
ISSUE = "5f7c3c1e-0000-4000-8000-000000000001"
GITA = Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com")
OMAR = Person(id="ops-omar", name="Omar Haddad", email="omar.haddad@example.com")
OLGA = Person(id="ops-olga", name="Olga Berg", email="olga.berg@example.com")
HEAD = Person(id="ops-head", name="Hana Sato", email="hana.sato@example.com")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        # From the real now: the consumer records deliveries as due at the real now.
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# Every test runtime seals recipients' secrets, as production should.
TEST_KEY = Fernet.generate_key().decode()


def sealer(runtime: Runtime) -> Sealer:
    return sealer_for(runtime.settings.encryption_keys.get_secret_value())  # type: ignore[attr-defined]


def make_runtime(tmp_path: Path, **overrides: object) -> Runtime:
    overrides.setdefault("encryption_keys", TEST_KEY)
    overrides.setdefault("webhook_timeout_s", 1)
    overrides.setdefault("smtp_timeout_s", 1)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/n.db",
        public_base_url="http://baton.example.com",
        delivery_backoff_base_s=10,
        delivery_max_attempts=3,
        # Tests' Slack receivers run on this machine (development allows loopback).
        slack_webhook_hosts=["hooks.slack.com", "127.0.0.1"],
        **overrides,
    )
    migrations.upgrade(MIGRATIONS, settings.database_url)
    return Runtime(name="notifications", settings=settings, migrations_dir=MIGRATIONS)


def wrap(data) -> Envelope:  # type: ignore[no-untyped-def]
    return Envelope.wrap(source="/tests", data=data)


def operations() -> Envelope:
    return wrap(
        DepartmentUpdated(department="operations", liaisons=[OMAR, OLGA], head=HEAD, updated_at=T0)
    )


def finance() -> Envelope:
    return wrap(DepartmentUpdated(department="finance", liaisons=[GITA], head=HEAD, updated_at=T0))


async def dispatch(runtime: Runtime, clock: Clock) -> int:
    # rand=1.0: the longest jittered wait, so advancing by the full delay always suffices.
    return await dispatch_due(
        db=runtime.db, settings=runtime.settings, clock=clock, rand=lambda: 1.0
    )


async def rows(runtime: Runtime) -> list[Delivery]:
    async with runtime.db.session() as session:
        return list((await session.exec(select(Delivery).order_by(Delivery.id))).all())


async def staged_events(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.db.session() as session:
        return list((await session.exec(select(OutboxMessage))).all())
