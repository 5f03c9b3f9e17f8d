"""Intake over a real (SQLite) database, without Kafka: what every door
promises is that the event is durable in the outbox when it answers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from baton_contracts import Envelope, parse_event
from baton_intake.app import create_app
from baton_intake.auth import service as keys
from baton_intake.settings import Settings
from baton_runtime import migrations
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_intake" / "migrations"


class Client(httpx.AsyncClient):
    runtime: object
    app: object

    async def key(self, *scopes: str) -> str:
        async with self.runtime.db.transaction() as session:  # type: ignore[attr-defined]
            _, plain = await keys.create(session=session, name="test", scopes=list(scopes))
        return plain

    async def outbox(self) -> list[Envelope]:
        async with self.runtime.db.session() as session:  # type: ignore[attr-defined]
            rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [parse_event(row.payload.encode()) for row in rows]

    async def outbox_rows(self) -> list[OutboxMessage]:
        async with self.runtime.db.session() as session:  # type: ignore[attr-defined]
            return list((await session.exec(select(OutboxMessage))).all())


@pytest.fixture
def issue() -> dict:
    """A plain, valid agent report."""
    return {
        "channel": "agent",
        "reporter": {"kind": "customer", "id": "cust-1"},
        "subject": "Hello",
        "description": "World",
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        topic_prefix="t.",
        max_body_bytes=64 * 1024,
        internal_email_domains=["baton.example"],
        trusted_authserv_ids=["mx.baton.example"],
    )


@pytest.fixture
async def anonymous(settings: Settings):
    migrations.upgrade(MIGRATIONS, settings.database_url)
    app = create_app(settings)
    # No lifespan: nothing here needs Kafka; the relay is simply not running.
    transport = httpx.ASGITransport(app=app)
    async with Client(transport=transport, base_url="http://test") as c:
        c.runtime = app.state.runtime
        c.app = app
        yield c
    await app.state.runtime.db.dispose()


@pytest.fixture
async def client(anonymous: Client) -> Client:
    """Holds a key with both scopes."""
    anonymous.headers["Authorization"] = "Bearer " + await anonymous.key(
        "intake:write", "intake:read"
    )
    return anonymous
