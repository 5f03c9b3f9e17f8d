"""The provider: OpenID Connect discovery, authorization code with PKCE (S256),
tokens, userinfo and logout; and, for scripts, a token for anyone by id.

Signing in is choosing a person from the list: there are no passwords. That is
the point of a development provider, and why it refuses to start unless
``BATON_ENVIRONMENT=development``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import jwt
from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from baton_devidp import people as roster
from baton_devidp.keys import SigningKey
from baton_devidp.settings import Settings

CODE_SECONDS = 120
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@dataclass(frozen=True)
class Grant:
    """What an authorization code stands for, until it is exchanged (once)."""

    person: roster.Person
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    expires: float


class DevToken(BaseModel):
    person: str
    minutes: int | None = None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.refuse_production()
    key = SigningKey.load_or_create(settings.state_dir)
    people = {p.id: p for p in roster.load(settings.catalog_path)}
    codes: dict[str, Grant] = {}
    refresh: dict[str, str] = {}
    issuer = settings.issuer.rstrip("/")
    app = FastAPI(title="Baton development identity provider", docs_url=None, redoc_url=None)

    def access_token(person: roster.Person, minutes: int | None = None) -> str:
        now = int(time.time())
        ttl = 60 * (minutes or settings.access_token_minutes)
        claims = person.claims() | {
            "iss": issuer, "aud": settings.audience, "iat": now, "exp": now + ttl,
            "jti": secrets.token_hex(8),
        }  # fmt: skip
        return key.sign(claims)

    def tokens(person: roster.Person, client_id: str, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        id_claims = person.claims() | {"iss": issuer, "aud": client_id, "iat": now,
                                       "exp": now + 60 * settings.access_token_minutes}  # fmt: skip
        if nonce:
            id_claims["nonce"] = nonce
        refresh_token = secrets.token_urlsafe(32)
        refresh[refresh_token] = person.id
        return {
            "access_token": access_token(person),
            "id_token": key.sign(id_claims),
            "refresh_token": refresh_token,
            "token_type": "Bearer",
            "expires_in": 60 * settings.access_token_minutes,
            "scope": "openid profile email",
        }

    def check_redirect(redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or parts.hostname not in settings.redirect_hosts:
            raise HTTPException(400, "redirect_uri must be a local address (127.0.0.1, localhost)")

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks.json",
            "end_session_endpoint": f"{issuer}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["none"],
            "claims_supported": ["sub", "name", "email", "roles", "departments"],
        }

    @app.get("/jwks.json")
    async def jwks() -> dict[str, Any]:
        return key.jwks()

    @app.get("/authorize", response_class=HTMLResponse)
    async def choose(
        request: Request,
        client_id: str,
        redirect_uri: str,
        code_challenge: str,
        response_type: str = "code",
        code_challenge_method: str = "S256",
        state: str = "",
        nonce: str = "",
        scope: str = "openid",
    ) -> HTMLResponse:
        """The sign-in page: every person of the catalog, grouped by department."""
        check_redirect(redirect_uri)
        if response_type != "code" or code_challenge_method != "S256":
            raise HTTPException(400, "only response_type=code with PKCE (S256) is supported")
        groups: dict[str, list[roster.Person]] = {}
        for person in people.values():
            for department in person.departments or ("other roles",):
                groups.setdefault(department, []).append(person)
        hidden = {
            "client_id": client_id, "redirect_uri": redirect_uri, "state": state,
            "nonce": nonce, "code_challenge": code_challenge,
        }  # fmt: skip
        return templates.TemplateResponse(
            request, "choose.html", {"groups": groups, "hidden": hidden, "scope": scope}
        )

    @app.post("/authorize")
    async def chosen(
        person: Annotated[str, Form()],
        client_id: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        code_challenge: Annotated[str, Form()],
        state: Annotated[str, Form()] = "",
        nonce: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        check_redirect(redirect_uri)
        if person not in people:
            raise HTTPException(400, f"no such person: {person!r}")
        code = secrets.token_urlsafe(32)
        codes[code] = Grant(
            people[person], client_id, redirect_uri, code_challenge, nonce or None,
            time.monotonic() + CODE_SECONDS,
        )  # fmt: skip
        query = urlencode({"code": code, **({"state": state} if state else {})})
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=303)

    @app.post("/token")
    async def token(
        grant_type: Annotated[str, Form()],
        client_id: Annotated[str, Form()] = "",
        code: Annotated[str, Form()] = "",
        redirect_uri: Annotated[str, Form()] = "",
        code_verifier: Annotated[str, Form()] = "",
        refresh_token: Annotated[str, Form()] = "",
    ) -> JSONResponse:
        if grant_type == "refresh_token":
            person_id = refresh.pop(refresh_token, None)
            if person_id is None:
                return _oauth_error(400, "invalid_grant", "unknown refresh token")
            return JSONResponse(tokens(people[person_id], client_id or "baton", None))
        if grant_type != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", grant_type)
        grant = codes.pop(code, None)  # a code is good once
        if grant is None or grant.expires < time.monotonic():
            return _oauth_error(400, "invalid_grant", "unknown, used or expired code")
        if (client_id, redirect_uri) != (grant.client_id, grant.redirect_uri):
            return _oauth_error(400, "invalid_grant", "client_id or redirect_uri differ")
        digest = hashlib.sha256(code_verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not code_verifier or not secrets.compare_digest(challenge, grant.code_challenge):
            return _oauth_error(400, "invalid_grant", "PKCE code_verifier does not match")
        body = tokens(grant.person, grant.client_id, grant.nonce)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.get("/userinfo")
    async def userinfo(authorization: Annotated[str, Header()] = "") -> dict[str, Any]:
        raw = authorization.partition(" ")[2]
        try:
            claims = jwt.decode(
                raw, key.private.public_key(), algorithms=["RS256"],
                audience=settings.audience, issuer=issuer,
            )  # fmt: skip
        except jwt.InvalidTokenError as exc:
            raise HTTPException(401, f"bad token: {exc}") from exc
        return people[claims["sub"]].claims()

    @app.get("/logout")
    async def logout(post_logout_redirect_uri: str = "") -> Any:
        if post_logout_redirect_uri:
            check_redirect(post_logout_redirect_uri)
            return RedirectResponse(post_logout_redirect_uri, status_code=303)
        return HTMLResponse("<!doctype html><title>Signed out</title><p>Signed out.</p>")

    @app.get("/people")
    async def who() -> list[dict[str, Any]]:
        """Everyone who can sign in, with what they may do (for scripts and humans)."""
        return [p.claims() | {"note": p.note} for p in people.values()]

    @app.post("/dev/token")
    async def dev_token(body: DevToken) -> dict[str, str]:
        """An access token for anyone, by id: what ``make token AS=<id>`` prints."""
        if body.person not in people:
            known = ", ".join(sorted(people))
            raise HTTPException(404, f"no such person: {body.person!r}; try one of: {known}")
        return {"access_token": access_token(people[body.person], body.minutes)}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
