"""Callers identified by a verified token (BATON_AUTH_MODE=jwt, the default), with
keys fetched from a real JWKS endpoint over HTTP, and by X-Baton-Actor only in
development; roles from the token decide what each route allows."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from baton_runtime.identity import ANYONE, ActorDep, CallerDep, TokenVerifier, allow
from baton_runtime.service import Runtime
from baton_runtime.settings import ServiceSettings
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter
from pydantic import ValidationError

from tests.identity_provider import jwt_settings, running_idp, token


@pytest.fixture
def idp():
    with running_idp() as jwks:
        yield jwks


def bearer(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


def client(
    tmp_path: Path, refresh_cooldown_s: float | None = None, **settings
) -> httpx.AsyncClient:
    router = APIRouter()

    @router.post("/v1/act")
    async def act(actor: ActorDep) -> dict:
        return {"actor": actor}

    @router.get("/v1/look", **allow(ANYONE))
    async def look(who: CallerDep) -> dict:
        return {"person": who.person_id, "roles": sorted(who.roles)}

    @router.put("/v1/catalog", **allow("administrator"))
    async def change_catalog(who: CallerDep) -> dict:
        return {"changed_by": who.person_id}

    @router.get("/v1/work", **allow("liaison", "head"))
    async def work(who: CallerDep) -> dict:
        return {"departments": sorted(who.departments)}

    runtime = Runtime(
        name="identity-test",
        settings=ServiceSettings(state_dir=str(tmp_path), **settings),
        migrations_dir=tmp_path,
    )
    app = runtime.app(title="t", routers=[router])
    if refresh_cooldown_s is not None:
        app.state.token_verifier = TokenVerifier(
            runtime.settings, refresh_cooldown_s=refresh_cooldown_s
        )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_a_verified_token_names_the_person_acting(idp, tmp_path):
    async with client(tmp_path, **jwt_settings(idp)) as http:
        r = await http.post("/v1/act", headers=bearer(token(idp)))
        again = await http.post("/v1/act", headers=bearer(token(idp, sub="it-lena")))
    assert r.json() == {"actor": "fin-gita"}
    assert again.json() == {"actor": "it-lena"}
    assert idp.fetches == 1  # the keys are cached


async def test_the_person_may_come_from_another_claim(idp, tmp_path):
    settings = jwt_settings(idp, auth_actor_claim="employee_id")
    async with client(tmp_path, **settings) as http:
        r = await http.post("/v1/act", headers=bearer(token(idp, employee_id="E-1042")))
        missing = await http.post("/v1/act", headers=bearer(token(idp)))
    assert r.json() == {"actor": "E-1042"}
    assert missing.status_code == 401 and "employee_id" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example.com/"}, "issuer"),
        ({"exp": None}, "exp"),
    ],
)
async def test_a_token_that_does_not_hold_is_a_401_saying_why(idp, tmp_path, claims, why):
    async with client(tmp_path, **jwt_settings(idp)) as http:
        r = await http.post("/v1/act", headers=bearer(token(idp, **claims)))
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert why in r.json()["detail"].lower()


async def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(idp, tmp_path):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with client(tmp_path, **jwt_settings(idp)) as http:
        forged = await http.post("/v1/act", headers=bearer(token(idp, key=stranger)))
        unknown_kid = await http.post("/v1/act", headers=bearer(token(idp, kid="k9", key=stranger)))
        shared_secret = await http.post(
            "/v1/act", headers=bearer(token(idp, key="a" * 32, algorithm="HS256"))
        )
    assert [r.status_code for r in (forged, unknown_kid, shared_secret)] == [401, 401, 401]


async def test_a_rotated_key_is_fetched_when_first_seen(idp, tmp_path):
    # No cooldown between refetches here: the provider rotates at once.
    async with client(tmp_path, refresh_cooldown_s=0, **jwt_settings(idp)) as http:
        assert (await http.post("/v1/act", headers=bearer(token(idp)))).status_code == 200
        idp.add_key("k2")
        r = await http.post("/v1/act", headers=bearer(token(idp, kid="k2", sub="ops-ana")))
    assert r.json() == {"actor": "ops-ana"}
    assert idp.fetches == 2


async def test_in_jwt_mode_every_endpoint_needs_a_token_and_the_header_is_not_trusted(
    idp, tmp_path
):
    async with client(tmp_path, **jwt_settings(idp)) as http:
        look = await http.get("/v1/look")
        claimed = await http.post("/v1/act", headers={"X-Baton-Actor": "head-of-cs"})
        health = await http.get("/healthz")
    assert look.status_code == claimed.status_code == 401
    assert health.status_code == 200


async def test_an_unreachable_identity_provider_is_a_503_not_a_401(idp, tmp_path):
    settings = jwt_settings(idp)
    settings["auth_jwks_url"] = "http://127.0.0.1:9/jwks.json"
    async with client(tmp_path, **settings) as http:
        r = await http.post("/v1/act", headers=bearer(token(idp)))
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"


async def test_header_mode_trusts_x_baton_actor_and_its_roles_in_development_only(tmp_path):
    dev = {"environment": "development", "auth_mode": "header"}
    async with client(tmp_path, **dev) as http:
        acted = await http.post("/v1/act", headers={"X-Baton-Actor": "fin-gita"})
        anonymous = await http.get("/v1/look")
        reader = await http.put(
            "/v1/catalog", headers={"X-Baton-Actor": "riley", "X-Baton-Roles": "reader"}
        )
        developer = await http.put("/v1/catalog", headers={"X-Baton-Actor": "dev"})
    assert acted.json() == {"actor": "fin-gita"}
    assert anonymous.status_code == 401 and "X-Baton-Actor" in anonymous.json()["detail"]
    assert reader.status_code == 403
    assert developer.json() == {"changed_by": "dev"}  # no X-Baton-Roles: every role
    with pytest.raises(ValidationError, match="BATON_ENVIRONMENT=development"):
        ServiceSettings(auth_mode="header", environment="production")


def test_jwt_is_the_default_and_a_service_without_its_provider_refuses_to_start(
    tmp_path, monkeypatch
):
    for name in ("BATON_AUTH_MODE", "BATON_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings(state_dir=str(tmp_path))
    assert (settings.auth_mode, settings.environment) == ("jwt", "production")
    runtime = Runtime(name="t", settings=settings, migrations_dir=tmp_path)
    with pytest.raises(ValueError, match="BATON_AUTH_JWKS_URL, BATON_AUTH_ISSUER"):
        runtime.app(title="t", routers=[])


async def test_roles_and_departments_come_from_the_token(idp, tmp_path):
    async with client(tmp_path, **jwt_settings(idp)) as http:
        liaison = bearer(token(idp, roles=["liaison", "reader", "made-up"], departments=["it"]))
        looked = await http.get("/v1/look", headers=liaison)
        worked = await http.get("/v1/work", headers=liaison)
        refused = await http.put("/v1/catalog", headers=liaison)
        admin = await http.get("/v1/work", headers=bearer(token(idp, roles="administrator")))
        nobody = await http.get("/v1/work", headers=bearer(token(idp)))
    assert looked.json() == {"person": "fin-gita", "roles": ["liaison", "reader"]}
    assert worked.json() == {"departments": ["it"]}
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "administrator" in refused.json()["detail"]
    assert admin.status_code == 200  # an administrator may do everything
    assert nobody.status_code == 403


def test_routes_declare_their_roles_in_openapi_and_only_known_ones(tmp_path):
    runtime = Runtime(
        name="t",
        settings=ServiceSettings(environment="development", auth_mode="header"),
        migrations_dir=tmp_path,
    )
    router = APIRouter()

    @router.get("/v1/x", **allow("head", "liaison"))
    async def x() -> None:
        return None

    paths = runtime.app(title="t", routers=[router]).openapi()["paths"]
    assert paths["/v1/x"]["get"]["x-baton-roles"] == ["head", "liaison"]
    with pytest.raises(ValueError, match="boss"):
        allow("boss")
    with pytest.raises(ValueError):
        allow()
