"""The intake REST API over a real (SQLite) database, without Kafka: what the
API promises is that the event is durable in the outbox when it answers 202."""

import pytest
from baton_contracts import ISSUE_REPORTED_V1, IssueReported, parse_event
from baton_intake.issues.schemas import IssueAccepted
from baton_intake.issues.service import Stored, Taken
from baton_intake.sources.accept import answer
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

VALID = {
    "channel": "agent",
    "reporter": {"kind": "customer", "id": "cust-42"},
    "subject": "  Charged twice  ",
    "description": "I was charged twice for order 1234.",
    "priority": "high",
    "external_ref": "crm-9",
}


async def test_report_answers_202_with_the_issue_id_and_its_status_url(client):
    r = await client.post("/v1/issues", json=VALID)
    assert r.status_code == 202
    body = r.json()
    assert body["status_url"] == f"/v1/issues/{body['issue_id']}"
    assert r.headers["location"] == body["status_url"]


async def test_the_event_is_in_the_outbox_when_202_is_answered(client):
    r = await client.post("/v1/issues", json=VALID)
    issue_id = r.json()["issue_id"]
    async with client.runtime.db.session() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.topic, row.key, row.event_type) == (
        "t.issues.reported",
        issue_id,
        ISSUE_REPORTED_V1,
    )
    event = parse_event(row.payload.encode())
    assert isinstance(event.data, IssueReported)
    assert event.data.subject == "Charged twice"  # normalized: surrounding blanks trimmed
    assert event.data.priority == "high"
    assert event.data.internal is False


async def test_an_employee_reporter_makes_an_internal_request(client):
    body = VALID | {"reporter": {"kind": "employee", "id": "emp-7", "department": "sales"}}
    r = await client.post("/v1/issues", json=body)
    got = (await client.get(r.json()["status_url"])).json()
    assert got["internal"] is True
    assert got["reporter"] == {"kind": "employee", "id": "emp-7", "department": "sales"}


async def test_read_returns_what_was_reported(client):
    issue_id = (await client.post("/v1/issues", json=VALID)).json()["issue_id"]
    got = (await client.get(f"/v1/issues/{issue_id}")).json()
    assert got["issue_id"] == issue_id
    assert got["description"] == VALID["description"]
    assert got["external_ref"] == "crm-9"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reporter": {"kind": "robot", "id": "x"}}, "reporter.kind"),
        ({"channel": "pigeon"}, "channel"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"priority": "whenever"}, "priority"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_invalid_input_is_a_422_problem_naming_the_field(client, change, field):
    r = await client.post("/v1/issues", json=VALID | change)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]
    async with client.runtime.db.session() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []


async def test_malformed_json_is_a_422_problem_not_a_500(client):
    r = await client.post(
        "/v1/issues", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_issue_is_a_404_problem(client):
    r = await client.get("/v1/issues/does-not-exist")
    assert r.status_code == 404
    assert r.json()["title"] == "Issue not found"


async def test_reading_an_issue_with_an_invalid_header_is_the_documented_422_problem(client):
    # Found by fuzzing: the answer was problem details, the document said FastAPI's JSON.
    r = await client.get("/v1/issues/any", headers={"X-Baton-Departments": "d," * 600})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    documented = (await client.get("/openapi.json")).json()["paths"]["/v1/issues/{issue_id}"]
    assert "application/problem+json" in documented["get"]["responses"]["422"]["content"]


def test_an_answer_is_what_issue_accepted_dumps():
    """The doors build their answer as a dict: the same keys, in the same order,
    with the same values as the documented model (IssueAccepted) would dump."""
    for taken in (
        Taken(Stored("i-1", "BTN-1"), "created"),
        Taken(Stored("i-2", None), "duplicate_linked", "i-1"),
    ):
        model = IssueAccepted(
            issue_id=taken.issue.id, status_url=f"/v1/issues/{taken.issue.id}",
            outcome=taken.outcome, duplicate_of=taken.duplicate_of,
            reference=taken.issue.reference,
        )  # fmt: skip
        assert list(answer(taken).items()) == list(model.model_dump(mode="json").items())
