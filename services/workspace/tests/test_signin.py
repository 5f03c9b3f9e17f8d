"""Signing in with OpenID Connect (authorization code + PKCE) against the
development identity provider, running for real; the session cookie is signed,
HttpOnly and SameSite; signing out ends it."""

import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from baton_devidp.app import create_app as create_idp
from baton_devidp.settings import Settings as IdpSettings
from baton_workspace.app import create_app
from baton_workspace.settings import Settings

from .conftest import WORKSPACE

KEY = "k" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = create_idp(IdpSettings(issuer=issuer, state_dir=tmp_path_factory.mktemp("idp")))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield issuer
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
async def workspace(idp, tmp_path):
    from baton_runtime import migrations

    url = f"sqlite+aiosqlite:///{tmp_path}/w.db"
    migrations.upgrade(WORKSPACE, url)
    app = create_app(
        Settings(
            database_url=url,
            auth_mode="jwt",
            auth_jwks_url=f"{idp}/jwks.json",
            auth_issuer=idp,
            auth_audience="baton",
            workspace_oidc_issuer=idp,
            workspace_oidc_redirect_url="http://127.0.0.1:8005/auth/callback",
            workspace_session_key=KEY,
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8005") as http:
        yield http
    await app.state.provider.close()
    await app.state.runtime.db.dispose()


async def sign_in(
    http: httpx.AsyncClient, person: str, next_path: str = "/stalls"
) -> httpx.Response:
    html = {"accept": "text/html"}
    start = await http.get(f"/login?next={next_path}", headers=html)
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    async with httpx.AsyncClient() as browser:  # the provider is a real server
        chooser = await browser.get(authorize)
        assert chooser.status_code == 200 and "Gita Rao" in chooser.text
        form = {
            k: v[0]
            for k, v in query.items()
            if k in ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
        }
        chosen = await browser.post(authorize.split("?")[0], data=form | {"person": person})
    back = chosen.headers["location"]
    assert back.startswith("http://127.0.0.1:8005/auth/callback?")
    return await http.get(back.removeprefix("http://127.0.0.1:8005"), headers=html)


async def test_a_person_signs_in_with_pkce_and_works_in_their_session(workspace):
    done = await sign_in(workspace, "fin-gita", "/my-work")
    assert done.status_code == 303 and done.headers["location"] == "/my-work"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("baton_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = await workspace.get("/my-work", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Gita Rao" in page.text and "Finance" in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    out = await workspace.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and "/logout?post_logout_redirect_uri=" in out.headers["location"]
    again = await workspace.get("/my-work", headers={"accept": "text/html"})
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_a_callback_that_is_not_this_sign_in_is_refused(workspace):
    await workspace.get("/login", headers={"accept": "text/html"})
    refused = await workspace.get("/auth/callback?code=x&state=forged")
    assert refused.status_code == 400 and "Sign-in expired" in refused.text


async def test_a_forged_session_cookie_is_no_session(workspace):
    workspace.cookies.set("baton_session", "eyJwZXJzb24iOiJhZG1pbiJ9.forged.sig")
    page = await workspace.get("/stalls", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_next_never_leaves_the_site(workspace):
    done = await sign_in(workspace, "reader", "//evil.example.com/x")
    assert done.headers["location"] == "/"
