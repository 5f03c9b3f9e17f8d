"""Every route says who may call it, and means it.

Generated from each service's OpenAPI document: a ``/v1`` route without
``x-baton-roles`` fails here; then every role is tried against every route with a
real token (verified against a real JWKS endpoint): a role the route does not
name gets a 403 problem, a role it names gets past the gate, and no token at all
is a 401."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import httpx
import pytest
from baton_runtime import migrations
from baton_runtime.identity import ANYONE, ROLES

from tests.identity_provider import jwt_settings, running_idp, token

SERVICES = ["intake", "routing", "ownership", "notifications", "workspace"]


@pytest.fixture(scope="module")
def idp():
    with running_idp() as jwks:
        yield jwks


def app_of(service: str, tmp_path: Path, idp):
    settings_cls = importlib.import_module(f"baton_{service}.settings").Settings
    create_app = importlib.import_module(f"baton_{service}.app").create_app
    url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    extra = {
        "routing": {"router_enabled": False},
        # A live list's stream ends at once here: the test reads whole answers.
        "workspace": {"workspace_live_max_seconds": 0.01, "workspace_session_key": "k" * 32},
    }.get(service, {})
    settings = settings_cls(database_url=url, state_dir=str(tmp_path), **jwt_settings(idp), **extra)
    package = Path(importlib.import_module(f"baton_{service}").__file__).parent
    migrations.upgrade(package / "migrations", url)
    return create_app(settings)


def operations(app) -> list[tuple[str, str, dict]]:
    """The API's /v1 routes; for the workspace, whose pages are its API, every
    documented route (signing in and out, and the static files, are not documented)."""
    pages = app.title == "Baton workspace"
    found = []
    for path, ops in app.openapi()["paths"].items():
        if path.startswith("/v1/") or (pages and path not in ("/healthz", "/readyz", "/metrics")):
            found += [(method, path, op) for method, op in ops.items()]
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_declares_who_may_call_it_and_enforces_it(service, tmp_path, idp):
    app = app_of(service, tmp_path, idp)
    ops = operations(app)
    assert ops, f"{service} has no /v1 routes?"
    undeclared = [f"{m.upper()} {p}" for m, p, op in ops if not op.get("x-baton-roles")]
    assert undeclared == [], f"{service}: routes that declare no roles: {undeclared}"
    transport = httpx.ASGITransport(app=app)  # no lifespan: no Kafka needed
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for method, path, op in ops:
            allowed = set(op["x-baton-roles"])
            url = concrete(path)
            anonymous = await http.request(method, url, json={})
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            for role in ROLES:
                headers = {"Authorization": f"Bearer {token(idp, sub='p-1', roles=[role])}"}
                answer = await http.request(method, url, json={}, headers=headers)
                gate_refused = (
                    answer.status_code == 403 and answer.json().get("title") == "Not allowed"
                )
                if role in allowed or ANYONE in allowed or role == "administrator":
                    assert not gate_refused, (method, path, role, answer.text)
                    assert answer.status_code < 500, (method, path, role, answer.text)
                else:
                    assert gate_refused, (method, path, role, answer.status_code, answer.text)
                    assert answer.headers["content-type"] == "application/problem+json"


async def test_intake_doors_take_an_api_key_with_the_scope_or_an_agent(tmp_path, idp):
    from baton_intake.auth import service as keys

    app = app_of("intake", tmp_path, idp)
    db = app.state.runtime.db
    async with db.transaction() as session:
        _, reader_key = await keys.create(session=session, name="ro", scopes=["intake:read"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for method, path, op in operations(app):
            scopes = op.get("x-baton-scopes")
            assert scopes, f"intake {method.upper()} {path} declares no API-key scope"
            answer = await http.request(
                method, concrete(path), json={}, headers={"Authorization": f"Bearer {reader_key}"}
            )
            if "intake:read" in scopes:
                assert answer.status_code != 403, (path, answer.text)
            else:
                assert answer.status_code == 403 and "scope" in answer.json()["detail"]
    await db.dispose()
