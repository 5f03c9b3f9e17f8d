from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtplib import SMTPResponseException
from baton_notifications.deliveries.handler import on_owner_assigned
from baton_notifications.deliveries.models import Delivery
from baton_notifications.settings import Settings
from baton_shared.events import Envelope, OwnerAssigned, Person
from baton_shared.service import Runtime
from sqlmodel import select

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_notifications" / "migrations"


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/n.db",
        smtp_port=smtp_server.port,
        public_base_url="http://baton.example.com",
    )
    from baton_shared import migrations

    migrations.upgrade(MIGRATIONS, settings.database_url)
    rt = Runtime(name="notifications", settings=settings, migrations_dir=MIGRATIONS)
    yield rt
    await rt.db.dispose()


def assigned() -> Envelope:
    return Envelope.wrap(
        source="/baton/ownership",
        data=OwnerAssigned(
            issue_id="5f7c3c1e-0000-4000-8000-000000000001",
            department="finance",
            owner=Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com"),
            assigned_at=datetime.now(UTC),
        ),
    )


async def deliveries(runtime) -> list[Delivery]:
    async with runtime.db.session() as session:
        return list((await session.exec(select(Delivery))).all())


async def test_the_owner_is_emailed_with_a_link_to_the_issue(runtime, smtp_server):
    await on_owner_assigned(assigned(), runtime=runtime)
    [mail] = smtp_server.messages
    assert mail["To"] == "Gita Rao <gita.rao@example.com>"
    assert "finance" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "http://baton.example.com/v1/issues/5f7c3c1e-0000-4000-8000-000000000001/owner" in body
    [row] = await deliveries(runtime)
    assert (row.status, row.attempts, row.channel) == ("sent", 1, "email")


async def test_a_redelivered_event_sends_nothing_twice(runtime, smtp_server):
    event = assigned()
    await on_owner_assigned(event, runtime=runtime)
    await on_owner_assigned(event, runtime=runtime)
    assert len(smtp_server.messages) == 1
    [row] = await deliveries(runtime)
    assert row.attempts == 1


async def test_a_refused_send_is_recorded_and_the_retry_sends_once(runtime, smtp_server):
    smtp_server.refuse_next("451 4.3.0 try again later")
    event = assigned()
    with pytest.raises(SMTPResponseException):
        await on_owner_assigned(event, runtime=runtime)
    [row] = await deliveries(runtime)
    assert row.status == "failed" and "451" in row.last_error
    await on_owner_assigned(event, runtime=runtime)
    assert len(smtp_server.messages) == 1
    [row] = await deliveries(runtime)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
