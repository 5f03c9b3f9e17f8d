"""A notifications consumer's unit of work on PostgreSQL, as a poll of both its
topics makes one: the reports' copies go in one execution, each assignment's
owner is read once, and the deliveries of every notice go in one INSERT at the
commit, each learning its id then, so the dispatcher is handed rows it can
settle. (The services' own tests run on SQLite, which cannot return a batch's
ids in order and inserts them one by one.)"""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import baton_notifications
import pytest
from baton_contracts import (
    DepartmentUpdated,
    Envelope,
    IssueReported,
    OwnerAssigned,
    Person,
    Reporter,
)
from baton_notifications.deliveries.handler import on_issue_reported, on_ownership_event
from baton_notifications.deliveries.handover import Leased
from baton_notifications.deliveries.models import Delivery
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.settings import Settings
from baton_runtime import migrations
from baton_runtime.idempotency import unit_of_work
from baton_runtime.service import Runtime
from sqlmodel import col, select

from conftest import counting_statements

pytestmark = pytest.mark.integration

MIGRATIONS = Path(baton_notifications.__file__).parent / "migrations"
GITA = Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com")
HEAD = Person(id="fin-head", name="Hana Sato", email="hana.sato@example.com")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def wrap(data) -> Envelope:  # type: ignore[no-untyped-def]
    return Envelope.wrap(source="/tests", data=data)


@pytest.fixture
async def runtime(postgres):
    schema = f"notices_{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=postgres.database_url, database_schema=schema)
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, settings.database_url, schema)
    rt = Runtime(name="notifications", settings=settings, migrations_dir=MIGRATIONS)
    await on_department_updated(
        wrap(DepartmentUpdated(department="finance", liaisons=[GITA], head=HEAD, updated_at=T0)),
        runtime=rt,
    )
    yield rt
    await rt.db.dispose()


def reported(issue_id: str, subject: str) -> Envelope:
    return wrap(
        IssueReported(issue_id=issue_id, channel="email", priority="normal", subject=subject,
                      description="-", reported_at=T0,
                      reporter=Reporter(kind="customer", id="cust-7", reachable=True))
    )  # fmt: skip


def assigned(issue_id: str) -> Envelope:
    return wrap(
        OwnerAssigned(issue_id=issue_id, department="finance", owner=GITA, assigned_at=T0,
                      priority="normal", routing_reason="rule: invoice", acknowledge_due_at=T0,
                      resolve_due_at=T0)
    )  # fmt: skip


async def test_a_unit_of_work_writes_its_copies_and_its_deliveries_once_each(runtime):
    subjects = {str(uuid.uuid4()): f"Invoice {n}" for n in range(3)}
    handed: list[Leased] = []
    with counting_statements(runtime.db) as seen:
        async with unit_of_work(runtime.db, staged_claims=True):
            for issue_id, subject in subjects.items():
                await on_issue_reported(reported(issue_id, subject), runtime=runtime)
            for issue_id in subjects:
                await on_ownership_event(
                    assigned(issue_id), runtime=runtime, hand_over=handed.extend
                )
    # The copies: the reports' in one execution, then each assignment's upsert.
    copies = [s for s in seen.sent if s.startswith("INSERT INTO") and "issue_copies" in s]
    assert len(copies) == 1 + len(subjects), str(seen)
    assert len([s for s in seen.sent if "recipient_preferences" in s]) == 1, str(seen)
    inserted = [s for s in seen.sent if s.startswith("INSERT INTO") and "deliveries" in s]
    assert len(inserted) == 1, str(seen)

    async with runtime.db.session() as session:
        found = (
            await session.exec(select(Delivery).where(col(Delivery.issue_id).in_(list(subjects))))
        ).all()
    by_id = {row.id: row for row in found}
    assert len(by_id) == len(subjects) == len(handed)
    # What the dispatcher was handed is what was written: each row's own id.
    for item in handed:
        row = by_id[item.row.id]
        assert (row.issue_id, row.status, row.attempts) == (item.row.issue_id, "pending", 1)
        assert subjects[row.issue_id] in row.content  # the notice says what the issue is
