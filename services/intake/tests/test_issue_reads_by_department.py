"""Who reads an issue as it was reported: systems with ``intake:read``,
administrators and agents any; a liaison or head one their department holds
(``OwnerAssigned``), held, was asked to take or to help with (as ownership
answers them), and nothing while intake does not know the department. Anyone
else gets the very 404 an unknown issue gets."""

from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, HandoffRequested, HelpRequested, OwnerAssigned, Person
from baton_intake.issues.handler import on_ownership_event

REPORT = {
    "channel": "agent",
    "reporter": {"kind": "customer", "id": "cust-42"},
    "subject": "Charged twice",
    "description": "I was charged twice for order 1234.",
}
GITA = Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com")


def who(roles: str, departments: str = "") -> dict[str, str]:
    return {"X-Baton-Actor": "p-1", "X-Baton-Roles": roles, "X-Baton-Departments": departments}


async def report(client, key: str, ref: str, **other) -> str:
    body = REPORT | {"external_ref": ref} | other
    r = await client.post("/v1/issues", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 202, r.text
    return r.json()["issue_id"]


async def assign(client, issue_id: str, department: str, **how) -> None:
    event = OwnerAssigned(
        issue_id=issue_id, department=department, owner=GITA, assigned_at=datetime.now(UTC),
        **({"via": "routing"} | how),
    )  # fmt: skip
    await consume(client, event)


async def consume(client, event) -> None:
    await on_ownership_event(Envelope.wrap(source="/tests", data=event), runtime=client.runtime)


def change(issue_id: str, department: str, version: int) -> dict:
    return {"issue_id": issue_id, "department": department, "owner_id": GITA.id,
            "actor_id": GITA.id, "version": version, "at": datetime.now(UTC)}  # fmt: skip


@pytest.fixture
async def issues(anonymous):
    """An issue finance holds (its reporter, an agent's customer, cannot be answered by
    intake), its near-duplicate, and one routing has not placed yet; and a read key."""
    key = await anonymous.key("intake:write", "intake:read")
    held = await report(anonymous, key, "crm-1")
    duplicate = await report(anonymous, key, "crm-2")
    waiting = await report(anonymous, key, "crm-3", subject="Parcel lost")
    await assign(anonymous, held, "finance")
    return anonymous, key, {"held": held, "duplicate": duplicate, "waiting": waiting}


async def test_a_liaison_or_head_of_the_department_reads_it_and_its_near_duplicate(issues):
    client, _, ids = issues
    for caller in (who("liaison", "finance"), who("head", "it finance")):
        for issue_id in (ids["held"], ids["duplicate"]):
            r = await client.get(f"/v1/issues/{issue_id}", headers=caller)
            assert r.status_code == 200, r.text
            assert r.json()["description"] == REPORT["description"]


@pytest.mark.parametrize("roles", ["liaison", "head"])
async def test_another_department_gets_the_404_of_an_unknown_issue(issues, roles):
    client, _, ids = issues
    hidden = await client.get(f"/v1/issues/{ids['held']}", headers=who(roles, "it"))
    unknown = await client.get("/v1/issues/nope", headers=who(roles, "it"))
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    # Word for word what an issue that is not here gets: nothing tells it exists.
    assert hidden.json()["detail"] == unknown.json()["detail"].replace("nope", ids["held"])


async def test_while_intake_does_not_know_the_department_no_liaison_reads_it(issues):
    client, _, ids = issues
    r = await client.get(f"/v1/issues/{ids['waiting']}", headers=who("liaison", "finance"))
    assert r.status_code == 404
    await assign(client, ids["waiting"], "finance")
    r = await client.get(f"/v1/issues/{ids['waiting']}", headers=who("liaison", "finance"))
    assert r.status_code == 200


async def status(client, issue_id: str, department: str) -> int:
    return (
        await client.get(f"/v1/issues/{issue_id}", headers=who("liaison", department))
    ).status_code


async def test_a_hand_off_adds_the_new_department_and_the_old_one_still_reads_it(issues):
    client, _, ids = issues
    held = ids["held"]
    await consume(client, HandoffRequested(
        **change(held, "finance", 2), handoff_id=1, to_department="it", reason="a login problem",
    ))  # fmt: skip
    # Asked to take it: IT reads it before accepting, as in ownership.
    assert [await status(client, held, d) for d in ("finance", "it", "hr")] == [200, 200, 404]
    await assign(client, held, "it", via="handoff", hop=2)
    assert [await status(client, held, d) for d in ("finance", "it", "hr")] == [200, 200, 404]
    # Its near-duplicate reads as it does.
    assert await status(client, ids["duplicate"], "finance") == 200


async def test_a_department_asked_for_help_reads_it(issues):
    client, _, ids = issues
    assert await status(client, ids["held"], "hr") == 404
    await consume(client, HelpRequested(
        **change(ids["held"], "finance", 2), help_id=1, helping_department="hr",
        due_at=datetime.now(UTC),
    ))  # fmt: skip
    assert await status(client, ids["held"], "hr") == 200
    assert await status(client, ids["held"], "sales") == 404


async def test_an_assignment_that_moves_it_keeps_the_department_it_left(issues):
    # Moved without a hand-off asked (a rebalance): the department it left still reads it.
    client, _, ids = issues
    await assign(client, ids["held"], "operations", via="rebalance", hop=2)
    assert [await status(client, ids["held"], d) for d in ("finance", "operations")] == [200, 200]


@pytest.mark.parametrize("roles", ["administrator", "agent"])
async def test_administrators_and_agents_read_every_issue(issues, roles):
    client, _, ids = issues
    for issue_id in ids.values():
        r = await client.get(f"/v1/issues/{issue_id}", headers=who(roles))
        assert r.status_code == 200, (issue_id, r.text)


async def test_a_system_with_a_read_key_reads_every_issue(issues):
    client, _, ids = issues
    reader = "Bearer " + await client.key("intake:read")
    for issue_id in ids.values():
        r = await client.get(f"/v1/issues/{issue_id}", headers={"Authorization": reader})
        assert r.status_code == 200, (issue_id, r.text)
