"""The company's own resolved issues become training labels: their final
department, whatever routing first guessed."""

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from baton_contracts import Envelope, IssueReported, IssueResolved, Reporter
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import handler, service
from baton_routing.classifier.learned import ClassifierSlot
from baton_routing.classifier.schemas import Example
from baton_routing.issues.models import RoutedIssue
from baton_routing.settings import DEFAULT_CATALOG

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def resolved(issue_id: str, department: str) -> Envelope:
    return Envelope.wrap(
        source="/baton/ownership",
        data=IssueResolved(
            issue_id=issue_id, department=department, owner_id="x", actor_id="x", version=5, at=NOW
        ),
    )


async def test_a_resolution_labels_the_reported_issue_with_its_final_department(migrated_db):
    db = migrated_db(MIGRATIONS)
    reported = IssueReported(
        issue_id="i-1",
        channel="agent",
        reporter=Reporter(kind="customer", id="c"),
        subject="Quantum flux capacitor",
        description="It hums.",
        reported_at=NOW,
    )
    async with db.transaction() as session:
        session.add(RoutedIssue(issue_id="i-1", reported=reported.model_dump_json()))
    runtime = SimpleNamespace(db=db)
    await handler.on_ownership_event(resolved("i-1", "it"), runtime=runtime)
    await handler.on_ownership_event(resolved("i-unknown", "it"), runtime=runtime)
    async with db.session() as session:
        examples = await service.examples(session=session)
    assert [(e.department, e.text) for e in examples] == [
        ("it", "Quantum flux capacitor\nIt hums.")
    ]


def test_retraining_learns_from_the_company_history_and_says_so_in_its_version():
    slot = ClassifierSlot()
    slot.retrain()
    catalog = load_catalog(DEFAULT_CATALOG)
    before = slot.current.propose(catalog, "zorblax grommet quantum flux capacitor hums", "")
    own = [
        Example(text=f"zorblax grommet quantum flux capacitor hums {n}", department="marketing")
        for n in range(30)
    ]
    slot.retrain(history=own)
    after = slot.current.propose(catalog, "zorblax grommet quantum flux capacitor hums", "")
    assert "-h30-" in slot.current.version
    assert after.department == "marketing"
    assert after.scores["marketing"] > before.scores["marketing"]
