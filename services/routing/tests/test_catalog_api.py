"""Departments, rules and emphasis through the API, over a real (SQLite) database."""

from pathlib import Path

import httpx
import pytest
from baton_routing.app import create_app
from baton_routing.settings import Settings
from baton_runtime import migrations

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"
ADMIN = {"X-Baton-Actor": "admin-7"}
PEOPLE = {
    "liaisons": [{"id": "l-1", "name": "Lee", "email": "lee@example.com"}],
    "head": {"id": "h-1", "name": "Hal", "email": "hal@example.com"},
}


@pytest.fixture
async def client(tmp_path: Path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/routing.db",
        topic_prefix="t.",
        router_enabled=False,  # rules only: these tests are about the catalog
    )
    migrations.upgrade(MIGRATIONS, settings.database_url)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    # Someone is always calling (development header mode); tests that act say who.
    headers = {"X-Baton-Actor": "tester"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as c:
        yield c
    await app.state.runtime.db.dispose()


async def preview(client, subject: str, **extra) -> dict:
    r = await client.post("/v1/routing/preview", json={"subject": subject, **extra})
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_shipped_catalog_is_version_one(client):
    r = await client.get("/v1/catalog/versions")
    assert [(v["version"], v["actor"]) for v in r.json()] == [(1, "seed")]
    assert (await client.get("/v1/departments")).headers["X-Baton-Catalog-Version"] == "1"


async def test_a_new_rule_applies_to_the_next_decision_and_records_who_added_it(client):
    assert (await preview(client, "The coffee machine is broken"))["department"] == (
        "customer_service"
    )
    rule = {
        "id": "ops-coffee",
        "description": "office kit",
        "department": "operations",
        "regexes": [r"coffee\s+machine"],
        "priority": "high",
    }
    r = await client.post("/v1/rules", json=rule, headers=ADMIN)
    assert r.status_code == 201, r.text
    decision = await preview(client, "The coffee machine is broken")
    assert (decision["department"], decision["rule_id"], decision["priority"]) == (
        "operations",
        "ops-coffee",
        "high",
    )
    assert decision["catalog_version"] == 2
    assert "regex 'coffee\\\\s+machine'" in decision["reason"]
    latest = (await client.get("/v1/catalog/versions")).json()[0]
    assert (latest["version"], latest["actor"], latest["change"]) == (
        2,
        "admin-7",
        "add rule ops-coffee",
    )


async def test_a_rule_may_be_named_like_any_word_the_catalog_uses(client):
    # The catalog's versions live under /v1/catalog, so no rule name is taken.
    rule = {"id": "versions", "department": "it", "keywords": ["printer"]}
    assert (await client.post("/v1/rules", json=rule, headers=ADMIN)).status_code == 201
    r = await client.get("/v1/rules/versions")
    assert r.status_code == 200 and r.json()["id"] == "versions"


async def test_a_bad_regex_is_a_422_naming_it(client):
    rule = {"id": "bad", "department": "it", "regexes": ["printer(("]}
    r = await client.post("/v1/rules", json=rule, headers=ADMIN)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "printer((" in r.text


async def test_a_rule_without_conditions_or_for_an_unknown_department_is_refused(client):
    r = await client.post("/v1/rules", json={"id": "empty", "department": "it"}, headers=ADMIN)
    assert r.status_code == 422
    rule = {"id": "ghost", "department": "legal", "keywords": ["contract"]}
    r = await client.post("/v1/rules", json=rule, headers=ADMIN)
    assert r.status_code == 422
    assert "legal" in r.json()["detail"]


async def test_a_change_without_an_actor_is_refused(client):
    rule = {"id": "x", "department": "it", "keywords": ["printer"]}
    r = await client.post("/v1/rules", json=rule, headers={"X-Baton-Actor": ""})
    assert r.status_code == 401
    assert "X-Baton-Actor" in r.json()["detail"]


async def test_rollback_restores_an_earlier_version_as_a_new_one(client):
    await client.delete("/v1/rules/finance-refunds-and-billing", headers=ADMIN)
    assert (await preview(client, "I want a refund"))["department"] == "customer_service"
    r = await client.post("/v1/catalog/versions/1/rollback", headers=ADMIN)
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["change"]) == (3, "rollback to version 1")
    assert (await preview(client, "I want a refund"))["department"] == "finance"


async def test_rollback_to_a_version_that_does_not_exist_is_a_404(client):
    r = await client.post("/v1/catalog/versions/99/rollback", headers=ADMIN)
    assert r.status_code == 404


async def test_emphasis_breaks_ties_between_departments_and_can_change_at_runtime(client):
    subject = "Cancel order and refund me"  # finance and operations rules both match
    first = await preview(client, subject)
    assert first["department"] == "finance"  # no emphasis: rule order
    assert set(first["matched_rules"]) == {
        "finance-refunds-and-billing",
        "operations-orders-and-delivery",
    }
    r = await client.put(
        "/v1/emphasis", json={"ranking": ["operations", "sales", "finance"]}, headers=ADMIN
    )
    assert r.status_code == 200
    second = await preview(client, subject)
    assert second["department"] == "operations"
    assert "operations > sales > finance" in second["reason"]
    assert (await client.get("/v1/catalog/versions")).json()[0]["change"].startswith("emphasis")


async def test_emphasis_naming_an_unknown_department_is_refused(client):
    r = await client.put("/v1/emphasis", json={"ranking": ["legal"]}, headers=ADMIN)
    assert r.status_code == 422


async def test_departments_can_be_added_changed_and_deleted(client):
    body = {"name": "legal", "description": "Contracts", "resolve_hours": 48, **PEOPLE}
    assert (await client.post("/v1/departments", json=body, headers=ADMIN)).status_code == 201
    assert (await client.post("/v1/departments", json=body, headers=ADMIN)).status_code == 409
    changed = body | {"description": "Contracts and disputes"}
    r = await client.put("/v1/departments/legal", json=changed, headers=ADMIN)
    assert r.status_code == 200
    got = (await client.get("/v1/departments/legal")).json()
    assert got["description"] == "Contracts and disputes"
    assert (await client.delete("/v1/departments/legal", headers=ADMIN)).status_code == 204
    assert (await client.get("/v1/departments/legal")).status_code == 404


async def test_a_department_a_rule_still_names_cannot_be_deleted(client):
    r = await client.delete("/v1/departments/finance", headers=ADMIN)
    assert r.status_code == 422
    assert "finance" in r.json()["detail"]


async def test_rules_match_on_channel_reporter_and_optional_fields(client):
    rule = {
        "id": "hr-internal-de",
        "department": "hr",
        "reporter_kinds": ["employee"],
        "languages": ["de"],
    }
    assert (await client.post("/v1/rules", json=rule, headers=ADMIN)).status_code == 201
    employee = {"kind": "employee", "id": "e-1", "department": "sales"}
    hit = await preview(client, "Frage", reporter=employee, language="de")
    assert hit["rule_id"] == "hr-internal-de"
    miss = await preview(client, "Frage", reporter=employee, language="fr")
    assert miss["rule_id"] is None


async def test_examples_and_thresholds_round_trip_through_the_api_and_its_versions(client):
    it = (await client.get("/v1/departments/it")).json()
    assert len(it["examples"]) >= 8 and it["min_confidence"] is None
    shipped = list(it["examples"])
    it["examples"] = [*shipped, "The smart plug blinks red and will not pair."]
    it["min_confidence"] = 0.5
    r = await client.put("/v1/departments/it", json=it, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.headers["X-Baton-Catalog-Version"] == "2"
    changed = (await client.get("/v1/departments/it")).json()
    assert changed["examples"][-1] == "The smart plug blinks red and will not pair."
    assert changed["min_confidence"] == 0.5
    r = await client.post("/v1/catalog/versions/1/rollback", headers=ADMIN)
    assert r.status_code == 200, r.text
    restored = (await client.get("/v1/departments/it")).json()
    assert (restored["examples"], restored["min_confidence"]) == (shipped, None)


async def test_an_empty_example_or_a_threshold_above_one_is_refused(client):
    it = (await client.get("/v1/departments/it")).json()
    for bad in ({"examples": [""]}, {"min_confidence": 1.5}):
        r = await client.put("/v1/departments/it", json=it | bad, headers=ADMIN)
        assert r.status_code == 422, r.text


async def test_numbers_past_any_version_or_position_are_answered_not_a_500(client):
    # Found by fuzzing: each was a 500 (the database, then list.insert, refused the int).
    r = await client.post(f"/v1/catalog/versions/{2**63}/rollback", headers=ADMIN)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.version"
    rule = {"id": "ops-last", "department": "operations", "keywords": ["pallet"]}
    r = await client.post("/v1/rules", params={"position": 2**63}, json=rule, headers=ADMIN)
    assert r.status_code == 201, r.text
    assert (await client.get("/v1/rules")).json()[-1]["id"] == "ops-last"  # past the end: last
    r = await client.post("/v1/rules", params={"position": -1}, json=rule, headers=ADMIN)
    assert r.status_code == 422


async def test_a_department_name_longer_than_any_service_stores_is_refused(client):
    # Every service keeps a department name in 64 characters.
    body = {"name": "d" * 65, "description": "too long a name", **PEOPLE}
    r = await client.post("/v1/departments", json=body, headers=ADMIN)
    assert r.status_code == 422 and "name" in r.json()["detail"]
