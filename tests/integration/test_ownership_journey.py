"""An issue's journey across departments over real Kafka and PostgreSQL: routed
to operations, handed to finance, help asked of IT, resolved; and two liaisons
accepting the same hand-off at once, of whom exactly one wins. Intake hears of
the resolution, so the same complaint again is a new issue."""

import asyncio

import pytest
from baton_contracts import parse_event
from baton_contracts.topics import ISSUES_OWNERSHIP

from tests.integration.conftest import eventually, read_topic
from tests.integration.test_issue_journey import mails_about, owner_of, report

pytestmark = pytest.mark.integration


async def post(stack, http, path: str, actor: str, body: dict, expect: int = 200) -> dict:
    r = await http.post(f"{stack.url('ownership')}{path}", json=body, headers=stack.as_(actor))
    assert r.status_code == expect, r.text
    return r.json()


async def hand_to_finance(stack, http, issue_id: str) -> tuple[str, int, int]:
    """Report-routed issue -> operations owner asks finance. Returns owner, handoff, version."""
    owner = await owner_of(stack, http, issue_id)
    assert owner["department"] == "operations"
    state = await post(
        stack,
        http,
        f"/v1/issues/{issue_id}/handoffs",
        owner["owner"]["id"],
        {
            "version": owner["version"],
            "to_department": "finance",
            "reason": "the parcel was never charged correctly",
        },
        expect=201,
    )
    return owner["owner"]["id"], state["pending_handoff"]["id"], state["version"]


async def test_routed_handed_off_helped_and_resolved(stack, http):
    issue_id = await report(stack, http, "Where is my parcel? tracking is stuck")
    ops_owner, handoff_id, version = await hand_to_finance(stack, http, issue_id)

    # The receiver is told, and on accepting becomes the one owner.
    state = await post(
        stack,
        http,
        f"/v1/issues/{issue_id}/handoffs/{handoff_id}/accept",
        "fin-hugo",
        {"version": version},
    )
    assert (state["owner_id"], state["department"], state["hop"]) == ("fin-hugo", "finance", 2)
    await mails_about(stack, issue_id, "hugo.berg@example.com")

    state = await post(
        stack,
        http,
        f"/v1/issues/{issue_id}/help",
        "fin-hugo",
        {"version": state["version"], "department": "it", "question": "Did checkout fail?"},
        expect=201,
    )
    help_id = state["open_help_requests"][0]["id"]
    state = await post(
        stack,
        http,
        f"/v1/issues/{issue_id}/help/{help_id}/answer",
        "it-lena",
        {"version": state["version"], "answer": "Yes, briefly."},
    )
    state = await post(
        stack,
        http,
        f"/v1/issues/{issue_id}/resolve",
        "fin-hugo",
        {"version": state["version"], "resolution": "Refunded the charge"},
    )
    assert state["state"] == "resolved" and state["owner_id"] == "fin-hugo"

    async def ownership_events():
        records = await read_topic(stack.kafka, stack.topic(ISSUES_OWNERSHIP))
        types = [parse_event(r.value).type for r in records if r.key == issue_id.encode()]
        changes = [t for t in types if "deadline_set" not in t]
        return types if len(changes) >= 6 else None

    types = await eventually(ownership_events, what="the issue's ownership events")
    # The clocks the assignments start ride in their OwnerAssigned: only the help
    # clock is a DeadlineSet of its own (it interleaves); the changes come in this order.
    assert [t.split(".")[2] for t in types].count("deadline_set") == 1
    assert [t.split(".")[2] for t in types if "deadline_set" not in t] == [
        "owner_assigned",
        "handoff_requested",
        "owner_assigned",
        "help_requested",
        "help_answered",
        "resolved",
    ]

    # Each stay in a department is a span of the issue's one trace, with its outcome,
    # and its start a short span "... entered" under the same parent (the runbook's
    # TraceQL finds issues in a department now by an entered span without its stay).
    async def stays():
        spans = [
            s
            for s in stack.otlp.snapshot()
            if s.name.startswith("department ") and s.attributes.get("baton.issue_id") == issue_id
        ]
        return spans if len(spans) == 4 else None

    found = sorted(await eventually(stays, what="two stays, each entered and closed"),
                   key=lambda s: (s.attributes["baton.hop"], s.name))  # fmt: skip
    spans = [s for s in found if not s.name.endswith(" entered")]
    entered = [s for s in found if s.name.endswith(" entered")]
    assert [(s.name, s.attributes["baton.outcome"], s.attributes["baton.hop"]) for s in spans] == [
        ("department operations", "handed_off", 1),
        ("department finance", "resolved", 2),
    ]
    assert [(s.name, s.attributes["baton.via"]) for s in entered] == [
        ("department operations entered", "routing"),
        ("department finance entered", "handoff"),
    ]
    assert {s.parent_span_id for s in found} == {spans[0].parent_span_id}
    intake_trace = {
        s.trace_id
        for s in stack.otlp.snapshot()
        if s.service == "baton-intake" and s.attributes.get("baton.issue_id") == issue_id
    }
    assert {s.trace_id for s in found} == intake_trace

    history = (await http.get(f"{stack.url('ownership')}/v1/issues/{issue_id}/history")).json()
    assert [h["action"] for h in history] == [
        "assigned",
        "handoff_requested",
        "handoff_accepted",
        "help_requested",
        "help_answered",
        "resolve",
    ]
    # The history starts where ownership starts: the routing decision's assignment.
    assert (history[0]["actor_id"], history[0]["owner_id"]) == ("baton-routing", ops_owner)
    assert history[0]["details"]["rule_id"] == "operations-orders-and-delivery"
    assert history[1]["actor_id"] == ops_owner

    # The scorecards count the journey (other tests share the stack: at least it).
    def scorecard(department: str):
        return http.get(f"{stack.url('ownership')}/v1/departments/{department}/scorecard")

    finance = (await scorecard("finance")).json()
    operations = (await scorecard("operations")).json()
    assert finance["handoffs_in"] >= 1 and finance["time_to_resolve"]["count"] >= 1
    assert operations["handoffs_out"] >= 1
    it = (await scorecard("it")).json()
    assert it["help_requests_answered"] >= 1

    # Intake learns of the resolution: the same complaint again is a new issue,
    # not a near-duplicate of the resolved one.
    async def resolved_in_intake():
        r = await http.get(f"{stack.url('intake')}/v1/issues/{issue_id}", headers=stack.auth)
        return r.json() if r.json()["resolved_at"] else None

    taken = await eventually(resolved_in_intake, what="intake to learn of the resolution")
    again = await http.post(
        f"{stack.url('intake')}/v1/issues",
        json={
            "channel": "agent",
            "reporter": {k: taken["reporter"][k] for k in ("kind", "id")},
            "subject": taken["subject"],
            "description": "It is stuck again.",
        },
        headers=stack.auth,
    )
    assert again.json()["outcome"] == "created", again.text


async def test_two_liaisons_accepting_one_hand_off_at_once_exactly_one_wins(stack, http):
    issue_id = await report(stack, http, "My shipment went to the wrong address")
    _, handoff_id, version = await hand_to_finance(stack, http, issue_id)

    async def accept(person: str):
        return await http.post(
            f"{stack.url('ownership')}/v1/issues/{issue_id}/handoffs/{handoff_id}/accept",
            json={"version": version},
            headers=stack.as_(person),
        )

    answers = await asyncio.gather(accept("fin-gita"), accept("fin-hugo"))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 409], [r.text for r in answers]
    winner = next(r.json()["owner_id"] for r in answers if r.status_code == 200)
    state = (await http.get(f"{stack.url('ownership')}/v1/issues/{issue_id}")).json()
    assert (state["owner_id"], state["department"], state["version"]) == (
        winner,
        "finance",
        version + 1,
    )


async def test_a_decline_naming_no_department_is_rerouted_to_one_not_yet_tried(stack, http):
    issue_id = await report(stack, http, "My parcel never arrived")
    ops_owner, handoff_id, version = await hand_to_finance(stack, http, issue_id)
    await post(
        stack,
        http,
        f"/v1/issues/{issue_id}/handoffs/{handoff_id}/decline",
        "fin-gita",
        {"version": version, "reason": "nothing to do with billing"},
    )

    async def rerouted_handoff():
        state = (await http.get(f"{stack.url('ownership')}/v1/issues/{issue_id}")).json()
        return state if state["pending_handoff"] else None

    state = await eventually(rerouted_handoff, what="routing's answer as a new hand-off")
    assert state["owner_id"] == ops_owner  # still accountable until someone accepts
    assert state["pending_handoff"]["to_department"] not in {"operations", "finance"}
    decisions = (await http.get(f"{stack.url('routing')}/v1/decisions/{issue_id}")).json()
    assert decisions[0]["department"] == "operations"
    assert decisions[-1]["department"] == state["pending_handoff"]["to_department"]
