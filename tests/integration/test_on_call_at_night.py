"""An urgent issue at night, over real Kafka and PostgreSQL: a department whose
calendar has "now" outside its working hours (a closure from yesterday to
tomorrow), with two on-call layers. The issue goes to the first layer's person,
who becomes its one owner; not acknowledged, it passes to the second layer's,
who is emailed and acknowledges. No clock is faked: the catalog makes it night.
What consumers of the ownership topic keep of each clock (the newest said, in a
``DeadlineSet`` or in the ``OwnerAssigned`` whose assignment started it) is the
deadline ownership runs, at each layer."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from baton_contracts import DeadlineSet, Escalated, OwnerAssigned, parse_event
from baton_contracts.topics import ISSUES_OWNERSHIP

from tests.integration.conftest import eventually, read_topic
from tests.integration.test_issue_journey import mails_about, owner_of

pytestmark = pytest.mark.integration


def person(pid: str) -> dict:
    return {"id": pid, "name": pid.title(), "email": f"{pid}@night.example.com"}


async def night_desk(stack, http) -> tuple[str, str, list[str]]:
    """A department closed today, on call in two layers, and a rule sending to it."""
    tag = uuid.uuid4().hex[:8]
    name, word = f"night_{tag}", f"nightdesk{tag}"
    first, second = f"nd-ana-{tag}", f"nd-ben-{tag}"
    today = datetime.now(UTC).date()
    department = {
        "name": name,
        "description": "Out-of-hours desk",
        "liaisons": [person(first), person(second)],
        "head": person(f"nd-head-{tag}"),
        "calendar": {
            "time_zone": "UTC",
            "closures": [{"name": "Night, for the test", "start": str(today - timedelta(days=1)),
                          "end": str(today + timedelta(days=1))}],
        },
        "on_call": {"layers": [
            {"name": "primary", "people": [first], "first_handover": "2026-01-05T09:00"},
            {"name": "secondary", "people": [second], "first_handover": "2026-01-05T09:00"},
        ]},
    }  # fmt: skip
    routing = stack.url("routing")
    r = await http.post(f"{routing}/v1/departments", json=department)
    assert r.status_code == 201, r.text
    rule = {"id": f"night-{tag}", "department": name, "keywords": [word]}
    assert (await http.post(f"{routing}/v1/rules", json=rule)).status_code == 201

    async def ownership_knows_it():  # DepartmentUpdated, calendar and schedule with it
        r = await http.get(f"{stack.url('ownership')}/v1/departments/{name}/members")
        return r.status_code == 200

    await eventually(ownership_knows_it, what=f"ownership to learn of {name}")
    return name, word, [first, second]


async def ownership_events(stack, issue_id: str) -> list:
    records = await read_topic(stack.kafka, stack.topic(ISSUES_OWNERSHIP))
    return [parse_event(r.value).data for r in records if r.key == issue_id.encode()]


def said_clocks(events: list) -> list[DeadlineSet]:
    """Every clock announced, in order: the DeadlineSet events and the clocks an
    OwnerAssigned carries (those its assignment started)."""
    said: list[DeadlineSet] = []
    for e in events:
        if isinstance(e, OwnerAssigned):
            said.extend(e.clocks)
        elif isinstance(e, DeadlineSet):
            said.append(e)
    return said


def newest_clocks(events: list) -> dict[str, tuple[int, datetime]]:
    """Per clock, the one a reader keeping the newest version holds (the later one
    among equals), as the workspace folds them."""
    newest: dict[str, tuple[int, datetime]] = {}
    for e in said_clocks(events):
        if e.help_id is None:
            if e.deadline not in newest or newest[e.deadline][0] <= e.version:
                newest[e.deadline] = (e.version, e.due_at)
    return newest


def running(state: dict) -> dict[str, datetime]:
    return {d["kind"]: datetime.fromisoformat(d["due_at"]) for d in state["deadlines"]}


async def test_an_urgent_issue_at_night_reaches_the_on_call_person_then_the_next_layer(stack, http):
    name, word, (first, second) = await night_desk(stack, http)
    r = await http.post(
        f"{stack.url('intake')}/v1/issues",
        json={
            "channel": "agent",
            "reporter": {"kind": "customer", "id": f"c-{word}"},
            "subject": f"Outage at the {word}",
            "description": "Everything is down.",
            "priority": "urgent",
        },
        headers=stack.auth,
    )
    assert r.status_code == 202, r.text
    issue_id = r.json()["issue_id"]

    owner = await owner_of(stack, http, issue_id)
    assert (owner["department"], owner["owner"]["id"]) == (name, first)
    await mails_about(stack, issue_id, f"{first}@night.example.com")

    # Nobody acknowledges: six seconds later the second layer holds it, and has
    # six seconds of its own to acknowledge before the department's head is called.
    ownership = stack.url("ownership")

    async def second_layer():
        state = (await http.get(f"{ownership}/v1/issues/{issue_id}")).json()
        return state if state["owner_id"] == second else None

    state = await eventually(second_layer, timeout_s=30, what="the second on-call layer")
    r = await http.post(
        f"{ownership}/v1/issues/{issue_id}/acknowledge",
        json={"version": state["version"]},
        headers=stack.as_(second),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["owner_id"]) == ("acknowledged", second)
    [acknowledge] = [d for d in state["deadlines"] if d["kind"] == "acknowledge"]
    assert acknowledge["on_call_layer"] == 2
    assert "on-call layer 2" in acknowledge["explanation"]
    # What the consumers were told of the second layer's clock (after the acknowledgement:
    # the layer has only six seconds) is the clock ownership ran, and explained.
    version = state["version"]

    async def announced():
        clocks = newest_clocks(await ownership_events(stack, issue_id))
        return clocks if clocks.get("acknowledge", (0,))[0] >= version else None

    told = await eventually(announced, what="the second layer's deadline announced")
    assert told == {
        "acknowledge": (version, running(state)["acknowledge"]),
        "resolve": (1, running(state)["resolve"]),
    }
    due = told["acknowledge"][1]
    assert acknowledge["explanation"].startswith(f"due {due:%A %d %b %H:%M} UTC: ")
    await mails_about(stack, issue_id, f"{second}@night.example.com")

    events = await ownership_events(stack, issue_id)
    escalated = [e for e in events if isinstance(e, Escalated)]
    assert [(e.to.id, e.on_call_layer, e.moved) for e in escalated] == [(second, 2, True)]
    # Each layer was told one acknowledge deadline: the on-call clock (six seconds),
    # never the department's ordinary one, at the version that called the layer.
    assigned = [e for e in events if isinstance(e, OwnerAssigned)]
    said = [e for e in said_clocks(events) if e.deadline == "acknowledge"]
    assert [(e.version, e.due_at) for e in said] == [
        (a.version, a.acknowledge_due_at) for a in assigned
    ]
    assert [e.on_call_layer for e in assigned] == [1, 2]
    assert all(e.due_at - e.set_at == timedelta(seconds=6) for e in said)
