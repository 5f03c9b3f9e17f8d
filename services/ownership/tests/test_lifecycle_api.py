"""The lifecycle over HTTP: who acts comes from X-Baton-Actor, refusals are
problem details, and every answer is the issue's new state and version."""

import httpx
import pytest
from baton_ownership.app import create_app
from baton_ownership.assignment import service as assignment
from baton_ownership.settings import Settings

from tests.identity_provider import jwt_settings, running_idp, token

from .conftest import MIGRATIONS, seed


@pytest.fixture
async def client(tmp_path, clock):
    from baton_runtime import migrations

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db")
    migrations.upgrade(MIGRATIONS, settings.database_url)
    app = create_app(settings)
    app.state.clock = clock
    db = app.state.runtime.db
    await seed(db)
    async with db.transaction() as session:
        await assignment.assign(session=session, issue_id="i-1", department="operations")
    transport = httpx.ASGITransport(app=app)  # no lifespan: no Kafka needed here
    # Someone is always calling (development header mode); tests that act say who.
    headers = {"X-Baton-Actor": "tester"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as c:
        yield c
    await db.dispose()


def as_(person: str) -> dict[str, str]:
    return {"X-Baton-Actor": person}


async def test_the_issue_state_shows_owner_version_and_what_is_open(client):
    r = await client.get("/v1/issues/i-1")
    assert r.status_code == 200
    body = r.json()
    assert (body["owner_id"], body["department"], body["state"], body["version"]) == (
        "ops-ana",
        "operations",
        "assigned",
        1,
    )
    assert body["pending_handoff"] is None and body["open_help_requests"] == []


async def test_acting_without_saying_who_is_a_401_problem(client):
    r = await client.post(
        "/v1/issues/i-1/acknowledge", json={"version": 1}, headers={"X-Baton-Actor": ""}
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert "X-Baton-Actor" in r.json()["detail"]


async def test_a_journey_over_http_with_its_history(client):
    r = await client.post("/v1/issues/i-1/acknowledge", json={"version": 1}, headers=as_("ops-ana"))
    assert (r.status_code, r.json()["version"]) == (200, 2)
    r = await client.post(
        "/v1/issues/i-1/handoffs",
        headers=as_("ops-ana"),
        json={"version": 2, "to_department": "finance", "reason": "a billing error"},
    )
    assert r.status_code == 201
    handoff = r.json()["pending_handoff"]
    assert (handoff["to_department"], handoff["status"]) == ("finance", "requested")
    assert r.json()["owner_id"] == "ops-ana"  # still accountable until accepted

    r = await client.post(
        f"/v1/issues/i-1/handoffs/{handoff['id']}/accept",
        json={"version": 3},
        headers=as_("fin-gita"),
    )
    assert (r.json()["owner_id"], r.json()["department"], r.json()["hop"]) == (
        "fin-gita",
        "finance",
        2,
    )
    r = await client.post(
        "/v1/issues/i-1/help",
        headers=as_("fin-gita"),
        json={
            "version": 4,
            "department": "it",
            "question": "Was the invoice portal down?",
            "due_in_hours": 2,
        },
    )
    [help_request] = r.json()["open_help_requests"]
    r = await client.post(
        f"/v1/issues/i-1/help/{help_request['id']}/answer",
        json={"version": 5, "answer": "Yes, 10:00-10:40"},
        headers=as_("it-kofi"),
    )
    assert r.json()["open_help_requests"] == []
    r = await client.post(
        "/v1/issues/i-1/resolve",
        headers=as_("fin-gita"),
        json={"version": 6, "resolution": "Refunded the double charge"},
    )
    assert (r.json()["state"], r.json()["version"]) == ("resolved", 7)

    history = (await client.get("/v1/issues/i-1/history")).json()
    assert [(h["action"], h["actor_id"]) for h in history] == [
        ("assigned", "baton-routing"),
        ("acknowledge", "ops-ana"),
        ("handoff_requested", "ops-ana"),
        ("handoff_accepted", "fin-gita"),
        ("help_requested", "fin-gita"),
        ("help_answered", "it-kofi"),
        ("resolve", "fin-gita"),
    ]


async def test_refusals_are_problems_with_the_right_status(client):
    r = await client.post(
        "/v1/issues/i-1/acknowledge", json={"version": 1}, headers=as_("fin-gita")
    )
    assert r.status_code == 403
    r = await client.post("/v1/issues/i-1/acknowledge", json={"version": 9}, headers=as_("ops-ana"))
    assert (r.status_code, r.json()["title"], r.json()["version"]) == (409, "Stale version", 1)
    r = await client.post(
        "/v1/issues/i-1/handoffs",
        headers=as_("ops-ana"),
        json={"version": 1, "to_department": "legal", "reason": "?"},
    )
    assert r.status_code == 422
    r = await client.post("/v1/issues/i-1/resolve", headers=as_("ops-ana"), json={"version": 1})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "resolution"
    r = await client.get("/v1/issues/nope")
    assert r.status_code == 404


async def test_a_change_the_state_does_not_allow_is_a_409_naming_state_and_version(client):
    await client.post("/v1/issues/i-1/acknowledge", json={"version": 1}, headers=as_("ops-ana"))
    r = await client.post("/v1/issues/i-1/acknowledge", json={"version": 2}, headers=as_("ops-ana"))
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (r.status_code, body["title"], body["state"], body["version"]) == (
        409,
        "Not allowed in this state",
        "acknowledged",
        2,
    )
    assert body["instance"] == "/v1/issues/i-1/acknowledge"
    r = await client.post(
        "/v1/issues/i-1/handoffs/99/accept", json={"version": 2}, headers=as_("fin-gita")
    )
    assert (r.status_code, r.json()["title"]) == (404, "Hand-off not found")


async def test_availability_changes_hand_held_issues_to_a_liaison(client):
    for pid in ("ops-ana", "ops-ben"):
        r = await client.put(
            f"/v1/departments/operations/members/{pid}/availability",
            json={"on_duty": False},
            headers=as_(pid),
        )
        assert r.status_code == 200 and r.json()["on_duty"] is False
    members = (await client.get("/v1/departments/operations/members")).json()
    assert {m["person_id"]: m["open_issues"] for m in members}["ops-ana"] == 1
    r = await client.put(
        "/v1/departments/operations/members/ops-ben/availability",
        json={"on_duty": True},
        headers=as_("ops-ana"),
    )
    assert r.status_code == 403  # only oneself or the head
    r = await client.put(
        "/v1/departments/operations/members/ops-ben/availability",
        json={"on_duty": True},
        headers=as_("ops-head"),
    )
    assert r.status_code == 200


async def test_with_tokens_the_person_acting_is_whom_the_token_names(tmp_path, clock):
    """BATON_AUTH_MODE=jwt: X-Baton-Actor claims nothing; the owner's token acts."""
    from baton_runtime import migrations

    with running_idp() as idp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db", **jwt_settings(idp)
        )
        migrations.upgrade(MIGRATIONS, settings.database_url)
        app = create_app(settings)
        app.state.clock = clock
        db = app.state.runtime.db
        await seed(db)
        async with db.transaction() as session:
            await assignment.assign(session=session, issue_id="i-1", department="operations")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            ack = "/v1/issues/i-1/acknowledge"
            claimed = await http.post(ack, json={"version": 1}, headers=as_("ops-ana"))
            liaison = {"roles": ["liaison", "reader"]}
            someone = await http.post(
                ack, json={"version": 1}, headers=bearer(token(idp, sub="fin-gita", **liaison))
            )
            owner = await http.post(
                ack, json={"version": 1}, headers=bearer(token(idp, sub="ops-ana", **liaison))
            )
            reader = await http.post(
                ack, json={"version": 2}, headers=bearer(token(idp, sub="ops-ana", roles="reader"))
            )
            # A colleague of the owner's department reads the history (issues are read
            # per department: test_issue_reads_by_department).
            colleague = token(idp, sub="ops-ben", departments=["operations"], **liaison)
            history = await http.get("/v1/issues/i-1/history", headers=bearer(colleague))
            history = history.json()
        await db.dispose()
    assert claimed.status_code == 401
    assert someone.status_code == 403  # a liaison, but not this issue's owner
    assert owner.status_code == 200
    assert reader.status_code == 403  # the owner, but without a role that may act
    assert history[-1]["actor_id"] == "ops-ana"


def bearer(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


async def test_numbers_past_any_id_or_version_are_a_422_not_a_500(client):
    # Found by fuzzing: the database refused each number, and the answer was a 500.
    big = 2**63
    for path, body, field in [
        (f"/v1/issues/i-1/handoffs/{big}/accept", {"version": 1}, "path.handoff_id"),
        (
            f"/v1/issues/i-1/handoffs/{big}/decline",
            {"version": 1, "reason": "no"},
            "path.handoff_id",
        ),
        (f"/v1/issues/i-1/help/{big}/answer", {"version": 1, "answer": "yes"}, "path.help_id"),
        ("/v1/issues/i-1/acknowledge", {"version": big}, "version"),
    ]:
        r = await client.post(path, json=body, headers=as_("ops-ana"))
        assert r.status_code == 422, (path, r.text)
        assert r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "period",
    [
        {"until": "0001-01-02T00:00:00Z"},  # the default 30 days before: before year 1
        {"since": "0001-01-01T00:00:00+14:00", "until": "0001-02-01T00:00:00Z"},
        {"until": "9999-12-31T23:59:59-10:00"},  # in UTC: year 10000
    ],
)
async def test_a_scorecard_period_outside_the_calendar_is_a_422_not_a_500(client, period):
    # Found by fuzzing: date arithmetic overflowed, and the answer was a 500.
    r = await client.get("/v1/departments/operations/scorecard", params=period)
    assert r.status_code == 422, r.text
    assert r.json()["title"] == "Period out of range"


async def test_a_scorecard_period_is_answered_in_utc(client):
    r = await client.get(
        "/v1/departments/operations/scorecard",
        params={"since": "2026-11-01T00:00:00+02:00", "until": "2026-11-02T00:00:00+02:00"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["since"], r.json()["until"]) == (
        "2026-10-31T22:00:00Z",
        "2026-11-01T22:00:00Z",
    )


@pytest.mark.parametrize("value", ["-4389877", "1700000000", "1.7e9"])
async def test_a_scorecard_period_given_as_a_number_is_a_422(client, value):
    # Found by fuzzing: a number was read as seconds since 1970, not refused as documented.
    r = await client.get("/v1/departments/operations/scorecard", params={"until": value})
    assert r.status_code == 422
    assert "not a number" in r.json()["detail"]
