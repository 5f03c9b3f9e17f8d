"""What ownership adds for closing the loop with reporters: public replies and
internal notes, the clocks said in ``OwnerAssigned``, the acknowledge link of an
owner's notice, and reporters' ratings on the scorecard."""

from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from baton_contracts import Envelope, IssueRated, IssueRouted, parse_event
from baton_ownership.app import create_app
from baton_ownership.assignment import service as assignment
from baton_ownership.assignment.handler import on_issue_routed
from baton_ownership.feedback.handler import on_feedback
from baton_ownership.settings import Settings
from baton_runtime import links, migrations
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

from .conftest import MIGRATIONS, person, seed

KEY = "link-key-" + "x" * 24


@pytest.fixture
async def app(tmp_path, clock):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db",
        link_signing_key=KEY,
        acknowledge_minutes={"normal": 60},
        resolve_minutes={"normal": 600},
    )
    migrations.upgrade(MIGRATIONS, settings.database_url)
    app = create_app(settings)
    app.state.clock = clock
    await seed(app.state.runtime.db)
    yield app
    await app.state.runtime.db.dispose()


@pytest.fixture
async def client(app):
    async with app.state.runtime.db.transaction() as session:
        await assignment.assign(session=session, issue_id="i-1", department="operations")
    transport = httpx.ASGITransport(app=app)  # no lifespan: no Kafka needed here
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def as_(person_id: str) -> dict[str, str]:
    return {"X-Baton-Actor": person_id}


async def staged(app) -> list:
    async with app.state.runtime.db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [parse_event(r.payload.encode()).data for r in rows]


async def test_a_reply_is_an_event_and_history_a_note_only_history_neither_a_new_version(
    client, app
):
    r = await client.post("/v1/issues/i-1/replies", json={"text": "We are on it."},
                          headers=as_("ops-ana"))  # fmt: skip
    assert (r.status_code, r.json()["version"], r.json()["state"]) == (201, 1, "assigned")
    r = await client.post("/v1/issues/i-1/notes", json={"text": "Courier says Tuesday."},
                          headers=as_("ops-head"))  # fmt: skip
    assert (r.status_code, r.json()["version"]) == (201, 1)
    history = (await client.get("/v1/issues/i-1/history", headers=as_("ops-ana"))).json()
    assert [(h["action"], h["actor_id"], h["details"]["text"], h["version"]) for h in history] == [
        ("replied", "ops-ana", "We are on it.", 1),
        ("noted", "ops-head", "Courier says Tuesday.", 1),
    ]
    [reply] = await staged(app)  # the note is never an event
    assert (reply.issue_id, reply.author_name, reply.text, reply.department) == (
        "i-1", "Ops-Ana", "We are on it.", "operations",
    )  # fmt: skip
    # Nobody's next change is stale for it.
    r = await client.post("/v1/issues/i-1/acknowledge", json={"version": 1}, headers=as_("ops-ana"))
    assert r.status_code == 200


async def test_only_the_owner_or_the_head_may_answer_the_reporter(client):
    r = await client.post("/v1/issues/i-1/replies", json={"text": "hi"}, headers=as_("fin-gita"))
    assert r.status_code == 403
    r = await client.post("/v1/issues/i-1/replies", json={"text": " "}, headers=as_("ops-ana"))
    assert r.status_code == 422


async def test_owner_assigned_says_priority_reason_and_both_deadlines(app, clock):
    runtime = SimpleNamespace(
        settings=app.state.runtime.settings, db=app.state.runtime.db,
        relay=SimpleNamespace(notify=lambda: None),
    )  # fmt: skip
    routed = IssueRouted(
        issue_id="i-9", department="finance", rule_id="r", reason="keyword 'refund'",
        liaisons=[person("fin-gita")], head=person("fin-head"), routed_at=clock(),
    )  # fmt: skip
    await on_issue_routed(Envelope.wrap(source="/t", data=routed), runtime=runtime)
    [assigned] = await staged(app)
    assert (assigned.priority, assigned.routing_reason) == ("normal", "keyword 'refund'")
    # The handler runs on the real clock: its steps are microseconds apart.
    ack, resolve = (d - assigned.assigned_at for d in (assigned.acknowledge_due_at,
                                                       assigned.resolve_due_at))  # fmt: skip
    assert abs(ack - timedelta(minutes=60)) < timedelta(seconds=1)
    assert abs(resolve - timedelta(minutes=600)) < timedelta(seconds=1)


async def test_an_accepted_handoff_says_the_receivers_resolve_deadline(client, app, clock):
    r = await client.post(
        "/v1/issues/i-1/handoffs", headers=as_("ops-ana"),
        json={"version": 1, "to_department": "finance", "reason": "billing"},
    )  # fmt: skip
    handoff = r.json()["pending_handoff"]["id"]
    clock.advance(minutes=5)
    r = await client.post(f"/v1/issues/i-1/handoffs/{handoff}/accept", json={"version": 2},
                          headers=as_("fin-gita"))  # fmt: skip
    assert r.status_code == 200
    accepted = (await staged(app))[-1]
    assert (accepted.via, accepted.owner.id) == ("handoff", "fin-gita")
    assert accepted.resolve_due_at == clock() + timedelta(minutes=600)


def ack_token(person_id="ops-ana", issue_id="i-1", key=KEY, ttl_s=3600, purpose="acknowledge"):
    claims = {"issue_id": issue_id, "person_id": person_id}
    return links.sign(claims, key=key, purpose=purpose, ttl_s=ttl_s)


async def test_the_acknowledge_link_shows_a_page_on_get_and_acts_once_on_post(client, app):
    token = ack_token()
    for _ in range(2):  # a mail scanner, then the person: neither GET changes anything
        shown = await client.get(f"/links/acknowledge/{token}")
        assert shown.status_code == 200 and 'method="post"' in shown.text
        assert "Acknowledge BTN-I1" in shown.text  # the reference of issue "i-1"
        assert shown.headers["referrer-policy"] == "no-referrer"
    state = (await client.get("/v1/issues/i-1", headers=as_("ops-ana"))).json()
    assert (state["state"], state["version"]) == ("assigned", 1)

    done = await client.post(f"/links/acknowledge/{token}")
    assert done.status_code == 200 and "Acknowledged" in done.text
    state = (await client.get("/v1/issues/i-1", headers=as_("ops-ana"))).json()
    assert (state["state"], state["version"]) == ("acknowledged", 2)
    history = (await client.get("/v1/issues/i-1/history", headers=as_("ops-ana"))).json()
    assert [(h["action"], h["actor_id"]) for h in history] == [("acknowledge", "ops-ana")]

    again = await client.post(f"/links/acknowledge/{token}")
    assert again.status_code == 409 and "already used" in again.text
    assert "already used" in (await client.get(f"/links/acknowledge/{token}")).text


async def test_a_link_that_is_forged_expired_or_no_longer_the_holders_acts_not(client):
    for bad in (ack_token(key="another-key-" + "y" * 20), ack_token(ttl_s=-1),
                ack_token(purpose="rate"), "nonsense"):  # fmt: skip
        for method in ("GET", "POST"):
            r = await client.request(method, f"/links/acknowledge/{bad}")
            assert r.status_code == 400, (bad, method)
    not_theirs = ack_token(person_id="ops-ben")
    assert (
        "nothing is left to acknowledge"
        in (await client.get(f"/links/acknowledge/{not_theirs}")).text
    )
    r = await client.post(f"/links/acknowledge/{not_theirs}")
    assert r.status_code == 409 and "Only the owner" in r.text
    state = (await client.get("/v1/issues/i-1", headers=as_("ops-ana"))).json()
    assert state["state"] == "assigned"


async def test_ratings_count_for_the_department_and_the_person_who_resolved(client, app, clock):
    await client.post("/v1/issues/i-1/resolve", json={"version": 1, "resolution": "sent again"},
                      headers=as_("ops-ana"))  # fmt: skip
    runtime = SimpleNamespace(settings=app.state.runtime.settings, db=app.state.runtime.db)

    async def rate(issue_id, rating):
        data = IssueRated(issue_id=issue_id, rating=rating, rated_at=clock())
        await on_feedback(Envelope.wrap(source="/t", data=data), runtime=runtime)

    await rate("i-1", 4)
    await rate("i-1", 1)  # one answer per issue: a second is not counted
    await rate("never-owned-here", 5)
    since = (clock() - timedelta(days=1)).isoformat()
    card = (
        await client.get(
            "/v1/departments/operations/scorecard",
            params={"since": since, "until": (clock() + timedelta(hours=1)).isoformat()},
            headers=as_("ops-ana"),
        )
    ).json()
    assert card["satisfaction"] == {
        "count": 1, "average": 4.0, "by_owner": {"ops-ana": {"count": 1, "average": 4.0}},
    }  # fmt: skip
