"""Routing's hot path in SQL statements, on a warm database (the catalog seeded,
other issues routed): each statement is CPU twice, in the ORM and on the socket,
so a handler must not quietly grow more. The bounds are the counts, each one
below the count of the code before (in brackets)."""

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from baton_contracts import Envelope, IssueReported, IssueResolved, Reporter
from baton_routing.catalog.service import load_catalog
from baton_routing.catalog.store import CatalogStore
from baton_routing.classifier import handler as labels
from baton_routing.classifier import service as history
from baton_routing.decisions import service as decisions_made
from baton_routing.decisions.handler import Decisions
from baton_routing.issues import service as issues
from baton_routing.settings import DEFAULT_CATALOG, Settings
from baton_runtime.idempotency import unit_of_work
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

from conftest import counting_statements

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"


def reported(n: int, subject: str = "Refund for order {n}") -> Envelope:
    return Envelope.wrap(
        source="/tests",
        data=IssueReported(
            issue_id=f"i-{n}", channel="agent", reporter=Reporter(kind="customer", id=f"c-{n}"),
            subject=subject.format(n=n), description="I was charged twice. Please refund.",
            reported_at=datetime.now(UTC),
        ),
    )  # fmt: skip


@pytest.fixture
async def warm(migrated_db):
    """Routing's consumers over a database with the catalog and some issues in it."""
    db = migrated_db(MIGRATIONS)
    runtime = SimpleNamespace(
        db=db, settings=Settings(router_enabled=False), relay=SimpleNamespace(notify=lambda: None)
    )
    catalog = CatalogStore(load_catalog(DEFAULT_CATALOG))
    decisions = Decisions(runtime=runtime, catalog=catalog, classifier=None)
    for n in range(3):
        await decisions.on_issue_reported(reported(n))
    return SimpleNamespace(db=db, runtime=runtime, decisions=decisions)


async def test_routing_a_reported_issue_is_four_statements(warm):
    with counting_statements(warm.db) as seen:
        await warm.decisions.on_issue_reported(reported(99))
    # [5] the claim, the issue as reported (one upsert, which also says the catalog's
    # current version: no SELECT of its own), the decision, IssueRouted
    assert len(seen) <= 4, str(seen)
    assert not [s for s in seen.sent if s.startswith("SELECT")], str(seen)
    async with warm.db.session() as session:
        made = await decisions_made.for_issue(session=session, issue_id="i-99")
        kept = await issues.reported(session=session, issue_id="i-99")
        query = select(OutboxMessage).where(OutboxMessage.key == "i-99")
        staged = (await session.exec(query)).all()
    assert [d.department for d in made] == ["finance"]
    assert kept is not None and kept.subject == "Refund for order 99"
    assert len(staged) == 1


async def test_a_batch_of_issues_writes_its_events_in_one_statement(warm):
    with counting_statements(warm.db) as seen:
        async with unit_of_work(warm.db):
            for n in range(100, 120):
                await warm.decisions.on_issue_reported(reported(n))
    # [100] per issue the claim, the issue kept (and the catalog's version), the
    # decision; IssueRouted for all twenty in one INSERT at the commit
    assert len(seen) <= 3 * 20 + 1, str(seen)
    assert len([s for s in seen.sent if s.startswith("INSERT INTO outbox")]) == 1, str(seen)


async def test_a_catalog_version_another_replica_commits_decides_the_next_issue(warm):
    # Another replica (its own store, same database) sends refunds to sales now.
    other = CatalogStore(load_catalog(DEFAULT_CATALOG))
    async with warm.db.session() as session:
        version, current = await other.current(session)
        document = current.model_dump(mode="json")
        [refunds] = [r for r in document["rules"] if r["id"] == "finance-refunds-and-billing"]
        refunds["department"] = "sales"
        await other.write(session, document, after=version, actor="t", change="refunds to sales")
    await warm.decisions.on_issue_reported(reported(97))
    async with warm.db.session() as session:
        made = await decisions_made.for_issue(session=session, issue_id="i-97")
    assert [(d.department, d.rule_id) for d in made] == [("sales", "finance-refunds-and-billing")]


async def test_a_redelivered_issue_decides_nothing_and_reads_no_catalog(warm):
    envelope = reported(98)
    await warm.decisions.on_issue_reported(envelope)
    with counting_statements(warm.db) as seen:
        await warm.decisions.on_issue_reported(envelope)
    assert len(seen) == 1, str(seen)  # the claim finds it handled


async def test_a_resolution_labels_the_issue_in_four_statements_and_again_in_as_many(warm):
    def resolved(department: str) -> Envelope:
        return Envelope.wrap(
            source="/tests",
            data=IssueResolved(
                issue_id="i-1", department=department, owner_id="x", actor_id="x", version=5,
                at=datetime.now(UTC),
            ),
        )  # fmt: skip

    for department in ("sales", "finance"):  # reopened, resolved again elsewhere
        with counting_statements(warm.db) as seen:
            await labels.on_ownership_event(resolved(department), runtime=warm.runtime)
        # [5] claim (2), the issue as reported, the label (one upsert, not a read and a write)
        assert len(seen) <= 4, str(seen)
    async with warm.db.session() as session:
        examples = await history.examples(session=session)
    assert [(e.department, e.text.splitlines()[0]) for e in examples] == [
        ("finance", "Refund for order 1")
    ]
