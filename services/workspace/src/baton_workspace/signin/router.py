"""Signing in and out: ``/login`` sends the browser to the provider with a PKCE
challenge; ``/auth/callback`` takes the code back, checks it and starts the
session; ``/logout`` ends it (and the provider's, when it offers that)."""

from __future__ import annotations

import secrets
import time
from typing import Annotated
from urllib.parse import urljoin

from baton_runtime.problems import Problem
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from baton_workspace import web
from baton_workspace.cookies import FLASH, SESSION, SIGNIN, Jar, Session
from baton_workspace.signin.oidc import Provider, SignInFailed, pkce_pair

router = APIRouter(tags=["sign-in"])


def local(path: str | None) -> str:
    """Only a path on this site: never an open redirect to elsewhere."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@router.get("/login", include_in_schema=False)
async def login(request: Request, next: str | None = None) -> Response:
    jar: Jar = request.app.state.jar
    if jar.session(request) is not None and next:
        return RedirectResponse(local(next), status_code=303)
    provider: Provider = request.app.state.provider
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    url = await provider.authorize_url(state=state, challenge=challenge, nonce=nonce)
    response = RedirectResponse(url, status_code=303)
    jar.keep_signin(
        response, {"state": state, "verifier": verifier, "nonce": nonce, "next": local(next)}
    )
    return response


@router.get("/auth/callback", include_in_schema=False)
async def callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    jar: Jar = request.app.state.jar
    provider: Provider = request.app.state.provider
    started = jar.signin(request)
    if error:
        return web.trouble(request, "Sign-in refused", error_description or error)
    if not started or not state or not code or not secrets.compare_digest(state, started["state"]):
        return web.trouble(
            request, "Sign-in expired", "This sign-in is not the one the workspace started "
            "(or it took more than ten minutes). Start again.",
        )  # fmt: skip
    try:
        tokens = await provider.exchange(code=code, verifier=started["verifier"])
        claims = await provider.id_claims(tokens.id_token or "", nonce=started["nonce"])
        caller = await request.app.state.token_verifier.caller(tokens.access_token)
    except SignInFailed as exc:
        return web.trouble(request, "Sign-in failed", str(exc))
    except Problem as exc:
        return web.trouble(request, "Sign-in failed", exc.detail)
    session = Session(
        person_id=caller.person_id,
        name=str(claims.get("name") or caller.person_id)[:200],
        roles=sorted(caller.roles),
        departments=sorted(caller.departments),
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=min(tokens.expires_at, time.time() + jar.session_seconds),
    )
    response = RedirectResponse(started["next"], status_code=303)
    jar.keep_session(response, session)
    jar.forget(response, SIGNIN)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    jar: Jar = request.app.state.jar
    session = jar.session(request)
    # A sign-out needs the session's own CSRF token: another site cannot sign people out.
    if session is not None and not secrets.compare_digest(csrf, session.csrf):
        return web.trouble(request, "Form expired", "Reload the page and sign out again.")
    provider: Provider = request.app.state.provider
    after = urljoin(provider.redirect_url, "/signed-out")
    target = await provider.logout_url(after=after) if session is not None else None
    response = RedirectResponse(target or "/signed-out", status_code=303)
    jar.forget(response, SESSION, FLASH)
    return response


@router.get("/signed-out", include_in_schema=False)
async def signed_out(request: Request) -> Response:
    return web.render(request, "signed_out.html", {})
