"""An administrator changes routing through the API; the next issue follows the change
with no restart. And when no rule matches, the learned router decides and says so."""

from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, RerouteRequested
from baton_contracts.topics import ISSUES_REROUTE

from tests.integration.conftest import eventually
from tests.integration.test_issue_journey import owner_of, report

pytestmark = pytest.mark.integration


async def test_a_rule_added_through_the_api_routes_the_next_issue_without_restart(stack, http):
    routing = stack.url("routing")
    subject = "The zeppelin docking clamp is stuck"
    before = await owner_of(stack, http, await report(stack, http, subject, "Help."))
    assert before["department"] != "hr"

    rule = {
        "id": "hr-zeppelins",
        "description": "airship crew matters",
        "department": "hr",
        "keywords": ["zeppelin"],
        "priority": "urgent",
    }
    r = await http.post(f"{routing}/v1/rules", json=rule, headers=stack.as_("admin"))
    assert r.status_code == 201, r.text

    issue_id = await report(stack, http, subject, "Help.")
    after = await owner_of(stack, http, issue_id)
    assert after["department"] == "hr"
    [decision] = (await http.get(f"{routing}/v1/decisions/{issue_id}")).json()
    assert decision["rule_id"] == "hr-zeppelins"
    versions = (await http.get(f"{routing}/v1/catalog/versions")).json()
    assert (versions[0]["actor"], versions[0]["change"]) == ("admin", "add rule hr-zeppelins")


async def test_with_no_matching_rule_the_learned_router_decides_and_records_its_version(
    stack, http
):
    issue_id = await report(stack, http, "I would like to create a new profile", "Thanks.")
    owner = await owner_of(stack, http, issue_id)
    assert owner["department"] == "it"
    [decision] = (await http.get(f"{stack.url('routing')}/v1/decisions/{issue_id}")).json()
    assert decision["rule_id"] is None
    assert decision["model_version"].startswith("tfidf-lr-")
    assert decision["model_score"] >= 0.7
    assert "learned router" in decision["reason"]


async def test_a_reroute_picks_a_department_not_yet_tried_then_raises_a_silo_alarm(
    stack, http, producer
):
    # Ownership's side (emitting RerouteRequested) is not built yet; the test stands in.
    routing = stack.url("routing")
    issue_id = await report(stack, http, "Charged twice, I want a refund")
    await owner_of(stack, http, issue_id)

    async def decisions(count: int):
        async def probe():
            rows = (await http.get(f"{routing}/v1/decisions/{issue_id}")).json()
            return rows if isinstance(rows, list) and len(rows) >= count else None

        return await eventually(probe, what=f"{count} decisions for {issue_id}")

    for count in (2, 3, 4):
        last = (await decisions(count - 1))[-1]["department"]
        request = RerouteRequested(
            issue_id=issue_id, declined_by=last, requested_at=datetime.now(UTC)
        )
        await producer.publish(
            stack.topic(ISSUES_REROUTE), Envelope.wrap(source="/tests", data=request)
        )
    rows = await decisions(4)
    departments = [r["department"] for r in rows]
    assert len(set(departments[:3])) == 3  # each reroute found a department not yet tried
    assert "Rerouted (attempt 2)" in rows[1]["reason"]
    assert (rows[3]["department"], rows[3]["silo_alarm"]) == ("customer_service", True)
