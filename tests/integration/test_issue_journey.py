"""One issue travels intake -> routing -> ownership -> notifications over real
Kafka and PostgreSQL, and its owner's email arrives at a real SMTP server."""

import uuid

import pytest

from conftest import subject_of, text_of
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration

FINANCE_LIAISONS = {"fin-gita": "gita.rao@example.com", "fin-hugo": "hugo.berg@example.com"}


async def report(stack, http, subject: str, description: str = "Order 1234.") -> str:
    r = await http.post(
        f"{stack.url('intake')}/v1/issues",
        json={
            "channel": "agent",
            # A reporter per call: the same subject twice from one reporter is a near-duplicate.
            "reporter": {"kind": "customer", "id": f"cust-{uuid.uuid4().hex[:8]}"},
            "subject": subject,
            "description": description,
        },
        headers=stack.auth,
    )
    assert r.status_code == 202, r.text
    return r.json()["issue_id"]


async def owner_of(stack, http, issue_id: str) -> dict:
    async def probe():
        r = await http.get(f"{stack.url('ownership')}/v1/issues/{issue_id}/owner")
        return r.json() if r.status_code == 200 else None

    return await eventually(probe, what=f"an owner for {issue_id}")


async def mails_about(stack, issue_id: str, address: str, *, at_least: int = 1) -> list:
    async def probe():
        found = [m for m in stack.inbox.to(address) if issue_id in text_of(m)]
        return found if len(found) >= at_least else None

    return await eventually(probe, what=f"mail to {address} about {issue_id}")


async def test_an_issue_is_routed_by_its_rule_owned_once_and_its_owner_emailed(stack, http):
    issue_id = await report(stack, http, "Charged twice, I want a refund")

    owner = await owner_of(stack, http, issue_id)
    assert owner["department"] == "finance"
    assert owner["owner"]["id"] in FINANCE_LIAISONS

    decisions = (await http.get(f"{stack.url('routing')}/v1/decisions/{issue_id}")).json()
    assert [d["rule_id"] for d in decisions] == ["finance-refunds-and-billing"]
    assert "refund" in decisions[0]["reason"]

    [mail] = await mails_about(stack, issue_id, owner["owner"]["email"])
    assert "finance" in subject_of(mail)  # decoded: the subject may be RFC 2047-encoded

    async def delivered():
        r = await http.get(
            f"{stack.url('notifications')}/v1/deliveries", params={"issue_id": issue_id}
        )
        rows = r.json()
        return rows if rows and rows[0]["status"] == "sent" else None

    [delivery] = await eventually(delivered, what="a sent delivery")
    assert delivery["recipient"] == owner["owner"]["email"]
    assert (delivery["channel"], delivery["attempts"]) == ("email", 1)


async def test_an_issue_no_rule_claims_goes_to_customer_service(stack, http):
    issue_id = await report(stack, http, "Hello there", "Something odd happened.")
    owner = await owner_of(stack, http, issue_id)
    assert owner["department"] == "customer_service"


async def test_intake_rejects_bad_input_with_a_problem_naming_the_field(stack, http):
    r = await http.post(
        f"{stack.url('intake')}/v1/issues", json={"channel": "agent"}, headers=stack.auth
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"reporter", "subject", "description"} <= fields
