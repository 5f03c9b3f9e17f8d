"""Intake's hot path in SQL statements, on a warm database (a key in use, other
issues and contacts present): each statement is CPU twice, in the ORM and on the
socket, so a handler must not quietly grow more. Counted with the same SQLite
setup as the other tests; the bounds are the counts, each one below the count
of the code before (in brackets)."""

from datetime import UTC, datetime

import fastapi.dependencies.utils
import pytest
from baton_contracts import Envelope, OwnerAssigned, Person
from baton_intake.issues.handler import on_ownership_event
from baton_intake.outbound.models import Conversation, ReporterMessage
from baton_runtime.idempotency import unit_of_work
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


async def assign(warm, issue_id: str, department: str = "finance", via: str = "routing"):
    assigned = OwnerAssigned(
        issue_id=issue_id, department=department, owner=OWNER,
        assigned_at=datetime.now(UTC), via=via,
    )  # fmt: skip
    with counting_statements(warm.runtime.db) as seen:
        await on_ownership_event(Envelope.wrap(source="/t", data=assigned), runtime=warm.runtime)
    return seen


async def departments(warm) -> dict[str, str | None]:
    async with warm.runtime.db.session() as session:
        conversations = (await session.exec(select(Conversation))).all()
    return {c.issue_id: c.department for c in conversations}


async def test_owner_assigned_reads_no_conversation(warm):
    form = b"subject=Again&description=There&email=ada@example.com"
    reachable, _ = await post(warm, content=form, headers=FORM)
    unreachable, _ = await post(warm, json=agent("new-3", "Not reachable"))
    first = await assign(warm, reachable["issue_id"])
    # [4] the claim, the conversation's UPDATE for a reassignment (no row: this is the
    # first), the one for a first assignment, the waiting acknowledgement released
    assert len(first) <= 4, str(first)
    # [3] the claim and one UPDATE, where a SELECT and an UPDATE were
    learned = await assign(warm, unreachable["issue_id"])
    assert len(learned) <= 2, str(learned)
    assert not [s for s in [*first.sent, *learned.sent] if s.startswith("SELECT")]
    async with warm.runtime.db.session() as session:
        ack = (
            await session.exec(
                select(ReporterMessage).where(ReporterMessage.issue_id == reachable["issue_id"])
            )
        ).one()
    assert (ack.kind, ack.status) == ("acknowledged", "pending")
    known = await departments(warm)
    assert known[unreachable["issue_id"]] == known[reachable["issue_id"]] == "finance"


async def test_a_reassignment_is_one_update_and_keeps_both_departments(warm):
    form = b"subject=Again&description=There&email=ada@example.com"
    reachable, _ = await post(warm, content=form, headers=FORM)
    await assign(warm, reachable["issue_id"])
    moved = await assign(warm, reachable["issue_id"], department="it", via="handoff")
    # The claim; the department it left and the one it goes to, kept for who may
    # read it (a read and one INSERT: issues.departments, a move only); one UPDATE.
    assert len(moved) <= 4, str(moved)
    assert (await departments(warm))[reachable["issue_id"]] == "it"
    async with warm.runtime.db.session() as session:
        kinds = (await session.exec(select(ReporterMessage.kind))).all()
    assert "reassigned" not in kinds  # a customer is not told of internal moves


async def test_a_conversation_the_session_holds_is_not_left_stale(warm):
    unreachable, _ = await post(warm, json=agent("new-4", "Not reachable"))
    issue_id = unreachable["issue_id"]
    assigned = OwnerAssigned(
        issue_id=issue_id, department="it", owner=OWNER, assigned_at=datetime.now(UTC),
        via="routing",
    )  # fmt: skip
    async with unit_of_work(warm.runtime.db) as unit:
        held = await unit.session.get(Conversation, issue_id)  # an earlier event read it
        assert held is not None and held.department is None
        await on_ownership_event(Envelope.wrap(source="/t", data=assigned), runtime=warm.runtime)
        assert (await unit.session.get(Conversation, issue_id)).department == "it"


async def test_a_report_hops_to_no_worker_thread(warm, monkeypatch):
    """FastAPI runs a plain function dependency in a worker thread: a thread hop,
    in CPU and latency, on every request."""
    hops = []

    async def recorded(call, *args, **kwargs):
        hops.append(call.__qualname__)
        return call(*args, **kwargs)

    monkeypatch.setattr(fastapi.dependencies.utils, "run_in_threadpool", recorded)
    await post(warm, json=agent("new-5", "A complaint"))
    await post(warm, json=agent("new-5", "Another complaint"), headers={"Idempotency-Key": "k"})
    assert hops == []


async def test_a_report_validates_the_callers_headers_twice_not_three_times(warm, monkeypatch):
    """FastAPI solves a dependency's own parameters again wherever it is asked for,
    though it calls it once: each ``CallerDep`` in a door validates the caller's
    headers anew. The kernel's router asks once; the door's admission once more."""
    seen: list[str] = []
    solve = fastapi.dependencies.utils.request_params_to_args

    def recorded(fields, received):
        seen.extend(f.alias for f in fields)
        return solve(fields, received)

    monkeypatch.setattr(fastapi.dependencies.utils, "request_params_to_args", recorded)
    await post(warm, json=agent("new-6", "A complaint"), headers={"Idempotency-Key": "k-6"})
    assert seen.count("authorization") <= 2, seen  # [3]
    assert seen.count("Idempotency-Key") == 1, seen
