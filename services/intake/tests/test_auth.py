"""API keys with scopes, as Authorization: Bearer; only hashes are stored."""

import asyncio
from datetime import UTC, datetime

import pytest
from baton_intake.auth import service as keys
from baton_intake.auth.models import ApiKey
from baton_intake.auth.service import REMEMBER_S, KeyCache
from sqlalchemy import event
from sqlmodel import select


async def test_no_key_is_a_401_problem_with_a_bearer_challenge(issue, anonymous):
    r = await anonymous.post("/v1/issues", json=issue)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert await anonymous.outbox() == []


@pytest.mark.parametrize(
    "authorization", ["Bearer baton_nope_nope", "Bearer someone-elses-token", "Basic dXNlcjpw"]
)
async def test_an_unknown_key_is_a_401_problem(issue, anonymous, authorization):
    r = await anonymous.post("/v1/issues", json=issue, headers={"Authorization": authorization})
    assert r.status_code == 401


async def test_a_read_only_key_cannot_report_403(issue, anonymous):
    key = await anonymous.key("intake:read")
    r = await anonymous.post("/v1/issues", json=issue, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 403
    assert "intake:write" in r.json()["detail"]


async def test_a_write_only_key_cannot_read_403(issue, client, anonymous):
    issue_id = (await client.post("/v1/issues", json=issue)).json()["issue_id"]
    key = await anonymous.key("intake:write")
    r = await anonymous.get(f"/v1/issues/{issue_id}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 403


async def test_a_revoked_key_is_refused(issue, anonymous):
    key = await anonymous.key("intake:write")
    async with anonymous.runtime.db.transaction() as session:
        row = (await session.exec(select(ApiKey))).one()
        row.revoked_at = datetime.now(UTC)
        session.add(row)
    r = await anonymous.post("/v1/issues", json=issue, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401


async def test_only_a_hash_of_the_key_is_stored(anonymous):
    key = await anonymous.key("intake:write")
    async with anonymous.runtime.db.session() as session:
        row = (await session.exec(select(ApiKey))).one()
    assert key not in row.model_dump_json()
    assert len(row.key_hash) == 64


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json"])
async def test_health_and_the_api_description_need_no_key(anonymous, path):
    r = await anonymous.get(path)
    assert r.status_code == 200


async def test_a_key_in_use_is_refused_once_revoked_after_the_short_time_it_is_remembered(
    issue, anonymous
):
    now = [0.0]
    anonymous.app.state.api_keys = KeyCache(anonymous.runtime.db, clock=lambda: now[0])
    key = await anonymous.key("intake:write")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await anonymous.post("/v1/issues", json=issue, headers=headers)).status_code == 202
    async with anonymous.runtime.db.transaction() as session:
        await keys.revoke(session=session, key_id=key.removeprefix("baton_").split("_")[0])
    now[0] += REMEMBER_S  # what `revoke` waits before it answers
    r = await anonymous.post("/v1/issues", json=issue, headers=headers)
    assert r.status_code == 401


def _key_lookups(db) -> list[str]:
    """The statements that read ``api_keys``, as the database is sent them."""
    seen: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM api_keys" in statement:
            seen.append(statement)

    return seen


async def test_requests_in_flight_when_a_key_expires_share_one_lookup(anonymous):
    now = [0.0]
    cache = KeyCache(anonymous.runtime.db, clock=lambda: now[0])
    key = await anonymous.key("intake:write")
    seen = _key_lookups(anonymous.runtime.db)
    found = await asyncio.gather(*(cache.find(key) for _ in range(20)))
    assert len(seen) == 1
    assert {k.scopes for k in found} == {frozenset({"intake:write"})}
    now[0] += REMEMBER_S  # expired: the next burst looks it up once more
    found = await asyncio.gather(*(cache.find(key) for _ in range(20)))
    assert len(seen) == 2
    assert all(k is not None and not k.revoked for k in found)


async def test_a_request_that_goes_away_leaves_the_shared_lookup_to_the_others(anonymous):
    cache = KeyCache(anonymous.runtime.db)
    key = await anonymous.key("intake:write")
    seen = _key_lookups(anonymous.runtime.db)
    first = asyncio.create_task(cache.find(key))
    await asyncio.sleep(0)  # its lookup has begun
    others = [asyncio.create_task(cache.find(key)) for _ in range(3)]
    first.cancel()
    found = await asyncio.gather(*others)
    assert first.cancelled()
    assert [k.id for k in found] == [found[0].id] * 3
    assert len(seen) == 1


async def test_a_lookup_older_than_a_key_is_remembered_is_not_joined(anonymous):
    """Else a lookup slower than `revoke`'s wait could answer for a key revoked
    meanwhile, after `revoke` said it was refused."""
    now = [0.0]
    cache = KeyCache(anonymous.runtime.db, clock=lambda: now[0])
    key = await anonymous.key("intake:write")
    seen = _key_lookups(anonymous.runtime.db)
    slow = asyncio.create_task(cache.find(key))
    await asyncio.sleep(0)
    now[0] += REMEMBER_S
    await asyncio.gather(slow, cache.find(key))
    assert len(seen) == 2


async def _until(condition) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never")


async def test_a_slow_lookup_that_ends_last_leaves_the_newer_answer(anonymous, monkeypatch):
    now = [0.0]
    cache = KeyCache(anonymous.runtime.db, clock=lambda: now[0])
    key = await anonymous.key("intake:write")
    gates: list[asyncio.Event] = []
    real = keys.verify

    async def held(*, session, plain):
        if len(gates) < 2:  # the first two wait to be let through; any later goes on
            gate = asyncio.Event()
            gates.append(gate)
            await gate.wait()
        return await real(session=session, plain=plain)

    monkeypatch.setattr(keys, "verify", held)
    slow = asyncio.create_task(cache.find(key))
    await _until(lambda: len(gates) == 1)
    now[0] += REMEMBER_S  # too old to join: a second lookup
    fresh = asyncio.create_task(cache.find(key))
    await _until(lambda: len(gates) == 2)
    gates[1].set()
    await fresh
    gates[0].set()
    await slow
    now[0] += REMEMBER_S / 2  # within the newer answer's second, past the slow one's
    seen = _key_lookups(anonymous.runtime.db)
    assert await cache.find(key) is not None
    assert seen == []
