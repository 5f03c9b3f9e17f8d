"""Who reads an issue (``baton_ownership.access``): a liaison or head when one of
their departments holds or held it, was asked to take it or to help, or they own
it; an administrator always; an agent its state and owner, not its history.
Anyone else gets the very 404 an unknown issue gets."""

import httpx
import pytest
from baton_ownership.app import create_app
from baton_ownership.assignment import service as assignment
from baton_ownership.settings import Settings

from .conftest import MIGRATIONS, seed

READS = ["/v1/issues/{id}", "/v1/issues/{id}/history", "/v1/issues/{id}/owner"]
ADMIN = {"X-Baton-Actor": "admin-1", "X-Baton-Roles": "administrator"}


def who(person: str, roles: str, departments: str = "") -> dict[str, str]:
    return {"X-Baton-Actor": person, "X-Baton-Roles": roles, "X-Baton-Departments": departments}


@pytest.fixture
async def client(tmp_path, clock):
    """i-1 with operations only; i-2 with IT asked for help; i-3 offered to finance."""
    from baton_runtime import migrations

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db")
    migrations.upgrade(MIGRATIONS, settings.database_url)
    app = create_app(settings)
    app.state.clock = clock
    db = app.state.runtime.db
    await seed(db)
    for issue_id in ("i-1", "i-2", "i-3"):
        async with db.transaction() as session:
            await assignment.assign(session=session, issue_id=issue_id, department="operations")
    transport = httpx.ASGITransport(app=app)  # no lifespan: no Kafka needed here
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        for issue_id, step, body in [
            ("i-2", "help", {"department": "it", "question": "Is the VPN down?"}),
            ("i-3", "handoffs", {"to_department": "finance", "reason": "Refund: internal"}),
        ]:
            state = (await c.get(f"/v1/issues/{issue_id}", headers=ADMIN)).json()
            owner = {"X-Baton-Actor": state["owner_id"]}
            body["version"] = state["version"]
            r = await c.post(f"/v1/issues/{issue_id}/{step}", json=body, headers=owner)
            assert r.status_code == 201, r.text
        yield c
    await db.dispose()


async def statuses(client, issue_id: str, headers: dict[str, str]) -> list[int]:
    return [
        (await client.get(path.format(id=issue_id), headers=headers)).status_code for path in READS
    ]


@pytest.mark.parametrize("role", ["liaison", "head"])
async def test_another_department_gets_the_404_of_an_unknown_issue(client, role):
    finance = who("fin-gita", role, "finance")
    for path in READS:
        hidden = await client.get(path.format(id="i-1"), headers=finance)
        unknown = await client.get(path.format(id="i-9"), headers=finance)
        assert hidden.status_code == unknown.status_code == 404, (path, hidden.text)
        assert hidden.headers["content-type"] == "application/problem+json"
        # Word for word what an issue that is not here gets: nothing tells it exists.
        assert hidden.json()["detail"] == unknown.json()["detail"].replace("i-9", "i-1")
        assert hidden.json()["title"] == unknown.json()["title"]


@pytest.mark.parametrize("role", ["liaison", "head"])
async def test_the_department_holding_it_reads_it(client, role):
    assert await statuses(client, "i-1", who("ops-head", role, "operations")) == [200] * 3


async def test_the_department_asked_for_help_reads_it_and_no_other_issue(client):
    it = who("it-kofi", "liaison", "it")
    assert await statuses(client, "i-2", it) == [200] * 3
    assert await statuses(client, "i-1", it) == [404] * 3


async def test_the_department_asked_to_take_it_reads_it_and_what_it_held_stays_readable(client):
    finance = who("fin-gita", "liaison", "finance")
    state = (await client.get("/v1/issues/i-3", headers=finance)).json()
    assert state["pending_handoff"]["reason"] == "Refund: internal"
    accepted = await client.post(
        f"/v1/issues/i-3/handoffs/{state['pending_handoff']['id']}/accept",
        json={"version": state["version"]},
        headers={"X-Baton-Actor": "fin-gita"},
    )
    assert accepted.json()["department"] == "finance"
    # Operations held it: its people still read it; IT never had a part in it.
    assert await statuses(client, "i-3", who("ops-head", "head", "operations")) == [200] * 3
    assert await statuses(client, "i-3", who("it-kofi", "liaison", "it")) == [404] * 3


async def test_the_owner_reads_it_without_naming_a_department(client):
    owner = (await client.get("/v1/issues/i-1", headers=ADMIN)).json()["owner_id"]
    assert await statuses(client, "i-1", who(owner, "liaison")) == [200] * 3
    assert await statuses(client, "i-1", who("ops-someone", "liaison")) == [404] * 3


async def test_an_administrator_reads_every_issue(client):
    for issue_id in ("i-1", "i-2", "i-3"):
        assert await statuses(client, issue_id, ADMIN) == [200] * 3


async def test_an_agent_reads_state_and_owner_but_not_history_nor_hand_off_reasons(client):
    agent = who("agent-1", "agent")
    state = await client.get("/v1/issues/i-3", headers=agent)
    assert state.status_code == 200
    assert state.json()["pending_handoff"]["to_department"] == "finance"
    assert state.json()["pending_handoff"]["reason"] is None
    owner = await client.get("/v1/issues/i-3/owner", headers=agent)
    assert owner.status_code == 200 and owner.json()["owner"]["name"]
    history = await client.get("/v1/issues/i-3/history", headers=agent)
    assert history.status_code == 403  # no agent reads internal notes
    # An agent who is also another department's liaison: still no history.
    both = await client.get("/v1/issues/i-1/history", headers=who("a-2", "agent liaison", "it"))
    assert both.status_code == 404
