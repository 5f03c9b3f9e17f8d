"""The development identity provider: discovery, sign-in by choosing a person,
authorization code with PKCE, tokens Baton's services accept, and no production."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from baton_devidp.app import create_app
from baton_devidp.settings import NotForProduction, Settings

REDIRECT = "http://127.0.0.1:8005/auth/callback"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(BATON_ENVIRONMENT="development", BATON_STATE_DIR=tmp_path)


@pytest.fixture
async def idp(settings):
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def sign_in(idp, person: str, challenge: str, *, state: str = "s1", nonce: str = "n1"):
    params = {"client_id": "baton-workspace", "redirect_uri": REDIRECT, "response_type": "code",
              "code_challenge": challenge, "code_challenge_method": "S256", "state": state,
              "nonce": nonce, "scope": "openid profile email"}  # fmt: skip
    page = await idp.get("/authorize", params=params)
    assert page.status_code == 200
    form = {k: v for k, v in params.items() if k not in ("response_type", "scope",
                                                         "code_challenge_method")}  # fmt: skip
    chosen = await idp.post("/authorize", data=form | {"person": person})
    assert chosen.status_code == 303
    location = urlsplit(chosen.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return page, query["code"][0]


def test_it_refuses_to_start_unless_the_environment_is_development(tmp_path, monkeypatch):
    monkeypatch.delenv("BATON_ENVIRONMENT", raising=False)
    with pytest.raises(NotForProduction, match="BATON_ENVIRONMENT=development"):
        create_app(Settings(BATON_STATE_DIR=tmp_path))  # the default is production
    with pytest.raises(NotForProduction):
        create_app(Settings(BATON_ENVIRONMENT="production", BATON_STATE_DIR=tmp_path))


async def test_discovery_names_the_endpoints_and_pkce(idp, settings):
    config = (await idp.get("/.well-known/openid-configuration")).json()
    assert config["issuer"] == settings.issuer
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["jwks_uri"].endswith("/jwks.json")


async def test_the_sign_in_page_lists_the_catalog_by_department(idp):
    _, challenge = pkce()
    page, _ = await sign_in(idp, "fin-gita", challenge)
    assert "Gita Rao" in page.text and "liaison of finance" in page.text
    assert "Frank Osei" in page.text and "head of finance" in page.text
    assert "Ada Admin" in page.text  # the administrator no catalog names
    assert re.search(r"never runs in production", page.text)


async def test_a_code_with_its_verifier_gives_tokens_that_say_who_and_what(idp, settings):
    verifier, challenge = pkce()
    _, code = await sign_in(idp, "fin-gita", challenge)
    form = {"grant_type": "authorization_code", "code": code, "client_id": "baton-workspace",
            "redirect_uri": REDIRECT, "code_verifier": verifier}  # fmt: skip
    answer = await idp.post("/token", data=form)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    jwks = jwt.PyJWKSet.from_dict((await idp.get("/jwks.json")).json())
    key = jwks.keys[0].key
    access = jwt.decode(body["access_token"], key, algorithms=["RS256"],
                        audience="baton", issuer=settings.issuer)  # fmt: skip
    assert (access["sub"], access["departments"]) == ("fin-gita", ["finance"])
    assert set(access["roles"]) == {"liaison", "reader"}
    identity = jwt.decode(body["id_token"], key, algorithms=["RS256"],
                          audience="baton-workspace", issuer=settings.issuer)  # fmt: skip
    assert (identity["nonce"], identity["name"]) == ("n1", "Gita Rao")
    again = await idp.post("/token", data=form)  # a code is good once
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_wrong_verifier_gets_no_token(idp):
    _, challenge = pkce()
    _, code = await sign_in(idp, "fin-gita", challenge)
    answer = await idp.post("/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": "baton-workspace",
        "redirect_uri": REDIRECT, "code_verifier": pkce()[0]})  # fmt: skip
    assert answer.status_code == 400 and "PKCE" in answer.json()["error_description"]


async def test_redirects_go_only_to_local_addresses(idp):
    _, challenge = pkce()
    params = {"client_id": "x", "redirect_uri": "https://evil.example/cb"}
    page = await idp.get("/authorize", params=params | {"code_challenge": challenge})
    assert page.status_code == 400


async def test_a_token_for_scripts_names_a_known_person_only(idp):
    ok = await idp.post("/dev/token", json={"person": "admin"})
    claims = jwt.decode(ok.json()["access_token"], options={"verify_signature": False})
    assert "administrator" in claims["roles"]
    missing = await idp.post("/dev/token", json={"person": "nobody"})
    assert missing.status_code == 404 and "fin-gita" in missing.json()["detail"]


async def test_the_signing_key_outlives_a_restart(settings):
    first = create_app(settings)
    second = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://a"
    ) as a:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=second), base_url="http://b"
        ) as b:
            assert (await a.get("/jwks.json")).json() == (await b.get("/jwks.json")).json()
