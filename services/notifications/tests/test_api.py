import httpx
import pytest
from baton_contracts import OwnerAssigned
from baton_notifications.app import create_app
from baton_notifications.deliveries.handler import on_ownership_event
from baton_notifications.deps import get_egress_policy
from baton_notifications.senders import egress
from baton_notifications.settings import Settings
from baton_runtime import migrations
from baton_runtime.egress import Resolver

from .helpers import GITA, ISSUE, MIGRATIONS, T0, Clock, dispatch, wrap

PUBLIC = "93.184.215.14"


def stub_resolver(names: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"no such name {host}")
        return names[host]

    return resolve


@pytest.fixture
async def app(smtp_server, tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/api.db",
        smtp_port=smtp_server.port,
        delivery_max_attempts=1,
    )
    migrations.upgrade(MIGRATIONS, settings.database_url)
    app = create_app(settings)  # no lifespan: no Kafka, the routes only
    # Names resolve through a stub: the tests need no DNS.
    resolve = stub_resolver(
        {
            "hooks.example.com": [PUBLIC],
            "hooks.slack.com": [PUBLIC],
            "intranet.example.com": ["10.20.30.40"],
        }
    )
    app.dependency_overrides[get_egress_policy] = lambda: egress.Policy.of(settings, resolve)
    yield app
    await app.state.runtime.db.dispose()


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    # Someone is always calling (development header mode); tests that act say who.
    headers = {"X-Baton-Actor": "tester"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as c:
        yield c


async def test_a_failed_delivery_can_be_retried_and_then_arrives(app, client, smtp_server):
    runtime = app.state.runtime
    smtp_server.refuse_next("451 busy")
    event = wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0))
    await on_ownership_event(event, runtime=runtime)
    await dispatch(runtime, Clock())
    [failed] = (await client.get("/v1/deliveries", params={"status": "failed"})).json()
    assert (failed["recipient_id"], failed["kind"], failed["attempts"]) == (GITA.id, "assigned", 1)

    answer = await client.post(f"/v1/deliveries/{failed['id']}/retry")
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    await dispatch(runtime, Clock())
    [sent] = (await client.get("/v1/deliveries", params={"issue_id": ISSUE})).json()
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert len(smtp_server.messages) == 1

    again = await client.post(f"/v1/deliveries/{failed['id']}/retry")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "only a failed one" in again.json()["detail"]


async def test_retrying_an_unknown_delivery_is_a_404_problem(client):
    answer = await client.post("/v1/deliveries/999/retry")
    assert answer.status_code == 404 and answer.json()["title"] == "Unknown delivery"


async def test_deliveries_filter_by_recipient(app, client):
    event = wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0))
    await on_ownership_event(event, runtime=app.state.runtime)
    assert len((await client.get("/v1/deliveries", params={"recipient_id": GITA.id})).json()) == 1
    assert (await client.get("/v1/deliveries", params={"recipient_id": "other"})).json() == []


GITA_ACTS = {"X-Baton-Actor": "fin-gita"}


async def test_only_the_person_may_change_their_preferences(client):
    body = {"channels": {"assigned": ["email"]}}
    anyone = await client.put(
        "/v1/recipients/fin-gita/preferences", json=body, headers={"X-Baton-Actor": ""}
    )
    assert anyone.status_code == 401
    other = await client.put(
        "/v1/recipients/fin-gita/preferences", json=body, headers={"X-Baton-Actor": "ops-ana"}
    )
    assert other.status_code == 403
    assert other.headers["content-type"] == "application/problem+json"
    own = await client.put("/v1/recipients/fin-gita/preferences", json=body, headers=GITA_ACTS)
    assert own.status_code == 200


async def test_preferences_default_to_email_and_never_show_the_secret(client):
    put = await client.put(
        "/v1/recipients/fin-gita/preferences",
        json={
            "channels": {"assigned": ["webhook"], "escalated": []},
            "webhook_url": "https://hooks.example.com/gita",
            "webhook_secret": "s3cret-value",
        },
        headers=GITA_ACTS,
    )
    assert put.status_code == 200
    body = put.json()
    assert body["channels"]["assigned"] == ["webhook"]
    assert body["channels"]["help_requested"] == ["email"]
    assert body["webhook_secret_set"] is True
    assert body["webhook_url"] == "https://hooks.example.com/…"
    assert "s3cret-value" not in put.text
    assert (await client.get("/v1/recipients/fin-gita/preferences")).json() == body
    fresh = (await client.get("/v1/recipients/new-person/preferences")).json()
    assert all(v == ["email"] for v in fresh["channels"].values())


async def test_working_hours_and_quiet_hours_are_set_and_shown(client):
    hours = {"time_zone": "America/New_York", "hours": {"monday": ["08:00-16:00"]},
             "holidays": {"country": "US", "subdivision": "NY"}}  # fmt: skip
    put = await client.put(
        "/v1/recipients/fin-gita/preferences",
        json={"quiet_hours": True, "working_hours": hours},
        headers=GITA_ACTS,
    )
    assert put.status_code == 200, put.text
    shown = (await client.get("/v1/recipients/fin-gita/preferences")).json()
    assert (shown["quiet_hours"], shown["working_hours_from"]) == (True, "own")
    assert shown["working_hours"]["hours"] == {"monday": ["08:00-16:00"]}
    assert shown["channels"]["reassigned"] == ["email"]
    wrong = hours | {"holidays": {"country": "US", "subdivision": "ZZ"}}
    refused = await client.put(
        "/v1/recipients/fin-gita/preferences", json={"working_hours": wrong}, headers=GITA_ACTS
    )
    assert refused.status_code == 422 and "no region 'ZZ'" in refused.text
    fresh = (await client.get("/v1/recipients/new-person/preferences")).json()
    assert (fresh["quiet_hours"], fresh["working_hours_from"]) == (True, None)


async def test_a_slack_webhook_url_is_never_shown_back_whole(client):
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    body = {"channels": {"assigned": ["slack"]}, "slack_webhook_url": url}
    put = await client.put("/v1/recipients/fin-gita/preferences", json=body, headers=GITA_ACTS)
    assert put.json()["slack_webhook_url"] == "https://hooks.slack.com/…"
    assert "XXXXSECRET" not in (await client.get("/v1/recipients/fin-gita/preferences")).text


async def test_choosing_a_channel_without_its_address_is_a_422_problem(client):
    answer = await client.put(
        "/v1/recipients/fin-gita/preferences",
        json={"channels": {"assigned": ["slack"]}},
        headers=GITA_ACTS,
    )
    assert answer.status_code == 422
    assert "slack_webhook_url" in answer.json()["detail"]
    unknown = await client.put(
        "/v1/recipients/fin-gita/preferences",
        json={"channels": {"assigned": ["pigeon"]}},
        headers=GITA_ACTS,
    )
    assert unknown.status_code == 422


@pytest.mark.parametrize(
    ("field", "url", "rule"),
    [
        ("webhook_url", "https://intranet.example.com/hook", "resolves to a private address"),
        ("webhook_url", "http://169.254.169.254/latest/", "the cloud metadata address"),
        ("webhook_url", "https://[fd00:ec2::254]/", "the cloud metadata address"),
        ("webhook_url", "https://10.0.0.1/hook", "a private address"),
        ("slack_webhook_url", "https://hooks.example.com/x", "BATON_SLACK_WEBHOOK_HOSTS"),
    ],
)
async def test_a_webhook_url_that_may_not_be_sent_to_is_a_422_naming_the_rule(
    client, field, url, rule
):
    channel = "slack" if field.startswith("slack") else "webhook"
    answer = await client.put(
        "/v1/recipients/fin-gita/preferences",
        json={"channels": {"assigned": [channel]}, field: url},
        headers=GITA_ACTS,
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == field and rule in error["message"]
    assert (await client.get("/v1/recipients/fin-gita/preferences")).json()[field] is None


async def test_a_name_that_does_not_resolve_yet_is_left_to_the_connect_time_check(client):
    body = {"channels": {"assigned": ["webhook"]}, "webhook_url": "https://new.example.com/h"}
    put = await client.put("/v1/recipients/fin-gita/preferences", json=body, headers=GITA_ACTS)
    assert put.status_code == 200


async def test_a_person_sets_their_time_zone_and_language_and_a_bad_zone_is_a_422(client):
    url = "/v1/recipients/fin-gita/preferences"
    me = {"X-Baton-Actor": "fin-gita"}
    put = await client.put(url, json={"time_zone": "Europe/Berlin", "language": "de"}, headers=me)
    assert (put.json()["time_zone"], put.json()["language"]) == ("Europe/Berlin", "de")
    bad = await client.put(url, json={"time_zone": "Europe/Atlantis"}, headers=me)
    assert bad.status_code == 422 and "time zone" in bad.text


async def test_a_delivery_number_past_any_id_is_a_422_not_a_500(client):
    # Found by fuzzing: the database refused the number and the answer was a 500.
    answer = await client.post(f"/v1/deliveries/{2**63}/retry")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "path.delivery_id"


async def test_interrupt_load_takes_moments_with_a_zone_never_bare_numbers(client):
    reader = {"X-Baton-Roles": "reader"}
    url = "/v1/interrupts?department=finance"
    ok = await client.get(
        f"{url}&since=2026-11-01T00:00:00Z&until=2026-11-08T00:00:00Z", headers=reader
    )
    assert ok.status_code == 200 and ok.json()["department"] == "finance"
    # Pydantic would read 8000 as seconds since 1970: refused, saying what to give.
    number = await client.get(f"{url}&since=8000", headers=reader)
    assert number.status_code == 422
    assert number.headers["content-type"].startswith("application/problem+json")
    assert "not a number" in number.text


async def test_interrupt_load_says_when_a_period_is_out_of_range(client):
    # The default 30 days before the year 1 do not exist: a 422 saying so, not a 500.
    answer = await client.get(
        "/v1/interrupts?department=finance&until=0001-01-01T00:00:00Z",
        headers={"X-Baton-Roles": "reader"},
    )
    assert answer.status_code == 422
    assert answer.json()["title"] == "Period out of range"
