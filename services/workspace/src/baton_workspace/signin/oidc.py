"""Signing people in with OpenID Connect: authorization code with PKCE (S256).

The provider is found by discovery (``<issuer>/.well-known/openid-configuration``).
The ID token's signature, issuer, audience (this client) and nonce are checked;
who the person is, their roles and departments come from the access token,
verified as every Baton service verifies it (``baton_runtime.identity``), since
that token is what the workspace sends to ownership on their behalf.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from baton_runtime.problems import Problem


def pkce_pair() -> tuple[str, str]:
    """(verifier, its S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str | None
    refresh_token: str | None
    expires_at: float


class SignInFailed(Exception):
    """The provider refused, or what it sent back does not check out."""


class Provider:
    """One OpenID Connect provider, as its discovery document describes it."""

    def __init__(self, *, issuer: str, client_id: str, redirect_url: str, scopes: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.redirect_url = redirect_url
        self.scopes = scopes
        self._config: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._http = httpx.AsyncClient(timeout=10)

    async def close(self) -> None:
        await self._http.aclose()

    async def config(self) -> dict[str, Any]:
        if self._config is None:
            if not self.issuer:
                raise Problem(
                    503,
                    "The workspace has no identity provider configured "
                    "(BATON_WORKSPACE_OIDC_ISSUER).",
                    title="Sign-in is not set up",
                )
            try:
                answer = await self._http.get(f"{self.issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
            except httpx.HTTPError as exc:
                raise Problem(
                    503,
                    f"The identity provider at {self.issuer} does not answer; try again shortly.",
                    title="Cannot sign you in right now",
                ) from exc
            self._config = answer.json()
            self._jwks = jwt.PyJWKClient(self._config["jwks_uri"], cache_keys=True, lifespan=300)
        return self._config

    async def authorize_url(self, *, state: str, challenge: str, nonce: str) -> str:
        config = await self.config()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_url,
            "scope": self.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{config['authorization_endpoint']}?{urlencode(query)}"

    async def _token(self, form: dict[str, str]) -> Tokens:
        config = await self.config()
        try:
            answer = await self._http.post(config["token_endpoint"], data=form)
        except httpx.HTTPError as exc:
            raise SignInFailed("the identity provider did not answer") from exc
        if answer.status_code != 200:
            raise SignInFailed(f"the identity provider refused: {answer.text[:200]}")
        body = answer.json()
        return Tokens(
            access_token=body["access_token"],
            id_token=body.get("id_token"),
            refresh_token=body.get("refresh_token"),
            expires_at=time.time() + float(body.get("expires_in", 300)),
        )

    async def exchange(self, *, code: str, verifier: str) -> Tokens:
        return await self._token({
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "client_id": self.client_id, "redirect_uri": self.redirect_url,
        })  # fmt: skip

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._token({
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.client_id,
        })  # fmt: skip

    async def id_claims(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience and nonce check out."""
        config = await self.config()
        assert self._jwks is not None
        try:
            key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=config.get("id_token_signing_alg_values_supported")
                or ["RS256"], audience=self.client_id, issuer=config["issuer"], leeway=30,
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise SignInFailed(f"the ID token does not check out: {exc}") from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise SignInFailed("the ID token was not issued for this sign-in (nonce)")
        return claims

    async def logout_url(self, *, after: str) -> str | None:
        try:
            config = await self.config()
        except Problem:
            return None
        end = config.get("end_session_endpoint")
        return f"{end}?{urlencode({'post_logout_redirect_uri': after})}" if end else None
