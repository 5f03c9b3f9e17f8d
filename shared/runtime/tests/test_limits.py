"""Every service refuses a body over BATON_MAX_BODY_BYTES with a 413 problem,
declared or streamed, before its route reads it; 1 MiB unless configured."""

from __future__ import annotations

import httpx
import pytest
from baton_runtime.identity import ANYONE, allow
from baton_runtime.service import Runtime
from baton_runtime.settings import ServiceSettings
from fastapi import APIRouter, Request

HEADERS = {"X-Baton-Actor": "ops-omar", "content-type": "application/json"}


@pytest.fixture
async def client(tmp_path, monkeypatch):
    monkeypatch.setenv("BATON_MAX_BODY_BYTES", "1000")
    settings = ServiceSettings(
        environment="development", auth_mode="header", state_dir=str(tmp_path)
    )
    runtime = Runtime(name="t", settings=settings, migrations_dir=tmp_path)
    router = APIRouter()
    seen: list[int] = []

    @router.post("/v1/echo", **allow(ANYONE))
    async def echo(request: Request) -> dict:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body)}

    app = runtime.app(title="t", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        c.seen = seen  # type: ignore[attr-defined]
        yield c
    await runtime.db.dispose()


def test_every_service_reads_at_most_one_mebibyte_unless_told(monkeypatch):
    monkeypatch.delenv("BATON_MAX_BODY_BYTES", raising=False)
    assert ServiceSettings(environment="development", auth_mode="header").max_body_bytes == 2**20


async def test_a_body_within_the_limit_reaches_the_route_whole(client):
    answer = await client.post("/v1/echo", content=b"x" * 1000, headers=HEADERS)
    assert answer.json() == {"bytes": 1000}


async def test_a_declared_body_over_the_limit_is_a_413_problem_the_route_never_sees(client):
    answer = await client.post("/v1/echo", content=b"x" * 1001, headers=HEADERS)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "The request body may be at most 1000 bytes."
    assert client.seen == []


async def test_a_streamed_body_is_counted_as_it_arrives(client):
    async def chunks():
        for _ in range(11):
            yield b"x" * 100

    answer = await client.post("/v1/echo", content=chunks(), headers=HEADERS)
    assert answer.status_code == 413
    assert client.seen == []


async def test_the_limit_comes_before_authentication(client):
    answer = await client.post("/v1/echo", content=b"x" * 5000)
    assert answer.status_code == 413


async def test_a_nul_character_in_path_query_or_text_body_is_a_422_before_any_route(client):
    # PostgreSQL cannot store NUL in text: refused at the door, not a 500 later.
    in_body = await client.post("/v1/echo", content=b'{"id": "a\\u0000b"}', headers=HEADERS)
    in_path = await client.post("/v1/echo%00x", content=b"{}", headers=HEADERS)
    in_query = await client.post("/v1/echo?q=a%00", content=b"{}", headers=HEADERS)
    fine = await client.post("/v1/echo", content=b'{"id": "ab"}', headers=HEADERS)
    for refused in (in_body, in_path, in_query):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert "NUL" in refused.json()["detail"]
    assert fine.status_code == 200
    assert client.seen == [len(b'{"id": "ab"}')]  # the route never saw the others
