"""Intake's hot path in SQL statements, on a warm database (a key in use, other
issues and contacts present): each statement is CPU twice, in the ORM and on the
socket, so a handler must not quietly grow more. Counted with the same SQLite
setup as the other tests; the bounds are the counts, each one below the count
of the code before (in brackets)."""

from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, OwnerAssigned, Person
from baton_intake.issues.handler import on_ownership_event
from baton_intake.outbound.models import Conversation, ReporterMessage
from sqlmodel import select

from conftest import counting_statements

FORM = {"content-type": "application/x-www-form-urlencoded"}
OWNER = Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com")


def agent(reporter: str, subject: str, **fields: str) -> dict:
    return {
        "channel": "agent",
        "reporter": {"kind": "customer", "id": reporter},
        "subject": subject,
        "description": "I was charged twice for order 1. Please refund one payment.",
    } | fields


@pytest.fixture
async def warm(client):
    """A database with a key already used, issues and a contact already present."""
    for n in range(3):
        r = await client.post("/v1/issues", json=agent(f"c-{n}", f"Other {n}"))
        assert r.status_code == 202
    form = b"subject=Hi&description=There&email=ada@example.com"
    assert (await client.post("/v1/issues", content=form, headers=FORM)).status_code == 202
    return client


async def post(client, **request) -> tuple[dict, list[str]]:
    with counting_statements(client.runtime.db) as seen:
        r = await client.post("/v1/issues", **request)
    assert r.status_code in (200, 202), r.text
    return r.json(), seen


@pytest.mark.parametrize(
    ("fields", "bound"),
    [
        ({}, 3),  # [5] issue (with its near-duplicate lookup), conversation, outbox
        ({"external_ref": "crm-1"}, 3),  # [6] the taken-ref check is the INSERT's
    ],
)
async def test_an_agents_report_is_three_inserts(warm, fields, bound):
    body, seen = await post(warm, json=agent("new-1", "A new complaint", **fields))
    assert body["outcome"] == "created"
    assert len(seen) <= bound, str(seen)
    assert all(s.startswith("INSERT") for s in seen.sent), str(seen)


async def test_a_report_with_an_idempotency_key_looks_nothing_up_first(warm):
    headers = {"Idempotency-Key": "k-1"}
    body, seen = await post(warm, json=agent("new-1", "A new complaint"), headers=headers)
    assert len(seen) <= 4, str(seen)  # [7] and the record of the answer
    again, _ = await post(warm, json=agent("new-1", "A new complaint"), headers=headers)
    assert again == body  # replayed: the known key is found on the retry


async def test_a_near_duplicate_is_two_inserts(warm):
    await post(warm, json=agent("new-1", "A new complaint"))
    body, seen = await post(warm, json=agent("new-1", "A new complaint"))
    assert body["outcome"] == "duplicate_linked"
    assert len(seen) <= 2, str(seen)  # [4] the issue, linked; IssueDuplicateLinked


async def test_a_web_form_reads_its_contact_once_and_inserts_the_conversation_once(warm):
    form = b"subject=Again&description=There&email=ada@example.com"
    body, seen = await post(warm, content=form, headers=FORM)
    assert body["outcome"] == "created"
    # [10] contact, issue, conversation (reachable: no UPDATE after), the flood guard's
    # count, the acknowledgement, outbox
    assert len(seen) <= 6, str(seen)
    assert [s for s in seen.sent if s.startswith("SELECT contacts")] == seen.sent[:1]


async def test_the_api_key_is_not_looked_up_on_every_request(warm):
    _, seen = await post(warm, json=agent("new-2", "Another complaint"))
    assert not [s for s in seen.sent if "api_keys" in s], str(seen)


async def test_owner_assigned_reads_the_conversation_once(warm):
    form = b"subject=Again&description=There&email=ada@example.com"
    reachable, _ = await post(warm, content=form, headers=FORM)
    unreachable, _ = await post(warm, json=agent("new-3", "Not reachable"))
    counts = {}
    for issue_id in (reachable["issue_id"], unreachable["issue_id"]):
        assigned = OwnerAssigned(
            issue_id=issue_id, department="finance", owner=OWNER,
            assigned_at=datetime.now(UTC), via="routing",
        )  # fmt: skip
        envelope = Envelope.wrap(source="/t", data=assigned)
        with counting_statements(warm.runtime.db) as seen:
            await on_ownership_event(envelope, runtime=warm.runtime)
        counts[issue_id] = seen
    # [7] claim (2), conversation read and updated, the waiting acknowledgement released
    assert len(counts[reachable["issue_id"]]) <= 5, str(counts[reachable["issue_id"]])
    # [5] claim (2), conversation read and its department kept
    assert len(counts[unreachable["issue_id"]]) <= 4, str(counts[unreachable["issue_id"]])
    async with warm.runtime.db.session() as session:
        conversations = (await session.exec(select(Conversation))).all()
        ack = (
            await session.exec(
                select(ReporterMessage).where(ReporterMessage.issue_id == reachable["issue_id"])
            )
        ).one()
    assert {c.issue_id: c.department for c in conversations}[unreachable["issue_id"]] == "finance"
    assert (ack.kind, ack.status) == ("acknowledged", "pending")
