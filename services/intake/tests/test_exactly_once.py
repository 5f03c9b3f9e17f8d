"""One real issue, one IssueReported: retries with an Idempotency-Key, a second
submission of the same (source system, external_ref), and near-duplicates."""

from datetime import UTC, datetime

from baton_contracts import (
    ISSUE_DUPLICATE_LINKED_V1,
    ISSUE_REPORTED_V1,
    DeadlineSet,
    Envelope,
    IssueAcknowledged,
    IssueDuplicateLinked,
    IssueReopened,
    IssueResolved,
)
from baton_intake.issues.handler import on_ownership_event
from baton_runtime.idempotency import ProcessedEvent
from sqlmodel import select

ISSUE = {
    "channel": "agent",
    "reporter": {"kind": "customer", "id": "cust-7"},
    "subject": "Charged twice",
    "description": "Order 1234 was charged twice.",
}


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_creates_nothing(
    client,
):
    headers = {"Idempotency-Key": "retry-1"}
    first = await client.post("/v1/issues", json=ISSUE, headers=headers)
    again = await client.post("/v1/issues", json=ISSUE, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert len(await client.outbox()) == 1


async def test_the_same_idempotency_key_with_another_body_is_a_422_problem(client):
    headers = {"Idempotency-Key": "retry-2"}
    await client.post("/v1/issues", json=ISSUE, headers=headers)
    other = await client.post(
        "/v1/issues", json=ISSUE | {"subject": "Something else"}, headers=headers
    )
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "different request" in other.json()["detail"]
    assert len(await client.outbox()) == 1


async def test_idempotency_keys_of_different_api_keys_do_not_collide(client):
    first = await client.post("/v1/issues", json=ISSUE, headers={"Idempotency-Key": "k"})
    other_key = await client.key("intake:write")
    second = await client.post(
        "/v1/issues",
        json=ISSUE | {"subject": "Another thing entirely"},
        headers={"Idempotency-Key": "k", "Authorization": f"Bearer {other_key}"},
    )
    assert second.status_code == 202
    assert second.json()["issue_id"] != first.json()["issue_id"]


async def test_a_resubmitted_external_ref_returns_the_existing_issue_and_publishes_nothing(
    client,
):
    body = ISSUE | {"external_ref": "crm-1", "source_system": "crm"}
    first = await client.post("/v1/issues", json=body)
    second = await client.post("/v1/issues", json=body | {"description": "Retyped by hand."})
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["issue_id"] == first.json()["issue_id"]
    assert second.json()["outcome"] == "existing"
    assert [e.type for e in await client.outbox()] == [ISSUE_REPORTED_V1]


async def test_the_same_external_ref_from_another_source_system_is_another_issue(client):
    a = await client.post("/v1/issues", json=ISSUE | {"external_ref": "9", "source_system": "crm"})
    b = await client.post(
        "/v1/issues",
        json=ISSUE | {"external_ref": "9", "source_system": "shop", "subject": "Other"},
    )
    assert a.json()["issue_id"] != b.json()["issue_id"]


async def test_a_near_duplicate_is_linked_to_the_open_issue_instead_of_reported_again(client):
    first = (await client.post("/v1/issues", json=ISSUE)).json()
    second = await client.post(
        "/v1/issues", json=ISSUE | {"subject": "RE:  charged TWICE!", "description": "Again."}
    )
    assert second.status_code == 202
    assert second.json()["outcome"] == "duplicate_linked"
    assert second.json()["duplicate_of"] == first["issue_id"]
    events = await client.outbox()
    assert [e.type for e in events] == [ISSUE_REPORTED_V1, ISSUE_DUPLICATE_LINKED_V1]
    linked = events[1]
    assert linked.subject == first["issue_id"]  # keyed by the open issue: same partition
    assert isinstance(linked.data, IssueDuplicateLinked)
    assert linked.data.duplicate_issue_id == second.json()["issue_id"]


async def test_the_same_subject_from_another_reporter_is_not_a_duplicate(client):
    await client.post("/v1/issues", json=ISSUE)
    other = ISSUE | {"reporter": {"kind": "customer", "id": "cust-8"}}
    r = await client.post("/v1/issues", json=other)
    assert r.json()["outcome"] == "created"


async def test_outside_the_window_the_same_subject_is_a_new_issue(client):
    client.runtime.settings.duplicate_window_s = 0
    await client.post("/v1/issues", json=ISSUE)
    r = await client.post("/v1/issues", json=ISSUE)
    assert r.json()["outcome"] == "created"
    assert [e.type for e in await client.outbox()] == [ISSUE_REPORTED_V1, ISSUE_REPORTED_V1]


async def ownership_says(client, data) -> None:
    """Deliver an ownership event to intake's handler, as its consumer would."""
    await on_ownership_event(
        Envelope.wrap(source="/baton/ownership", data=data), runtime=client.runtime
    )


def change(cls, issue_id: str, version: int):
    return cls(
        issue_id=issue_id,
        department="finance",
        owner_id="fin-gita",
        actor_id="fin-gita",
        version=version,
        at=datetime(2026, 11, 23, 12, tzinfo=UTC),
    )


async def test_once_resolved_the_same_complaint_again_is_a_new_issue_not_a_duplicate(client):
    first = (await client.post("/v1/issues", json=ISSUE)).json()
    await ownership_says(client, change(IssueResolved, first["issue_id"], 3))
    shown = (await client.get(f"/v1/issues/{first['issue_id']}")).json()
    assert shown["resolved_at"].startswith("2026-11-23T12:00")

    again = await client.post("/v1/issues", json=ISSUE)
    assert again.json()["outcome"] == "created"
    assert [e.type for e in await client.outbox()] == [ISSUE_REPORTED_V1, ISSUE_REPORTED_V1]


async def test_a_reopened_issue_is_open_again_for_near_duplicates(client):
    first = (await client.post("/v1/issues", json=ISSUE)).json()
    await ownership_says(client, change(IssueResolved, first["issue_id"], 3))
    await ownership_says(client, change(IssueReopened, first["issue_id"], 4))
    assert (await client.get(f"/v1/issues/{first['issue_id']}")).json()["resolved_at"] is None

    again = await client.post("/v1/issues", json=ISSUE)
    assert again.json()["duplicate_of"] == first["issue_id"]


async def test_other_ownership_events_and_unknown_issues_change_nothing(client):
    first = (await client.post("/v1/issues", json=ISSUE)).json()
    await ownership_says(client, change(IssueAcknowledged, first["issue_id"], 2))
    await ownership_says(client, change(IssueResolved, "not-taken-in-here", 3))
    assert (await client.get(f"/v1/issues/{first['issue_id']}")).json()["resolved_at"] is None


async def test_events_nobody_here_acts_on_open_no_transaction(client):
    """Most ownership events (acknowledged, the clocks) mean nothing to intake or
    the reporter: passed over before any transaction, so not even their ids are
    recorded; the ones that do mean something are recorded once."""
    first = (await client.post("/v1/issues", json=ISSUE)).json()
    at = datetime(2026, 11, 23, 12, tzinfo=UTC)
    clock = DeadlineSet(
        issue_id=first["issue_id"], department="finance", deadline="acknowledge",
        due_at=at, version=1, set_at=at,
    )  # fmt: skip
    await ownership_says(client, clock)
    await ownership_says(client, change(IssueAcknowledged, first["issue_id"], 2))
    async with client.runtime.db.session() as session:
        assert (await session.exec(select(ProcessedEvent))).all() == []
    await ownership_says(client, change(IssueResolved, first["issue_id"], 3))
    async with client.runtime.db.session() as session:
        assert len((await session.exec(select(ProcessedEvent))).all()) == 1
