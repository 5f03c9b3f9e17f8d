"""Who is calling the people-facing APIs (routing, ownership, notifications).

Two modes, by ``BATON_AUTH_MODE``:

- ``header`` (the default): the person id in ``X-Baton-Actor``, put there by a
  gateway that has already authenticated the person. Baton trusts it, so the
  services must be reachable only through that gateway.
- ``jwt``: a signed token, ``Authorization: Bearer <JWT>``, from the company's
  identity provider. Baton checks its signature against the provider's JWKS
  (``BATON_AUTH_JWKS_URL``), its issuer, audience and expiry, and takes the
  person id from a claim (``BATON_AUTH_ACTOR_CLAIM``, ``sub`` by default). Every
  ``/v1`` endpoint then needs a valid token; ``X-Baton-Actor`` is ignored.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Header, Request
from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from baton_runtime.problems import Problem

AuthMode = Literal["header", "jwt"]
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="baton"'}


class AuthSettings(BaseSettings):
    """The ``BATON_AUTH_*`` settings (part of every service's settings)."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    auth_mode: AuthMode = "header"
    auth_jwks_url: str = ""
    auth_issuer: str = ""
    auth_audience: str = ""
    auth_actor_claim: str = "sub"
    # Asymmetric algorithms only: a shared-secret token could be forged by anyone
    # who can verify one.
    auth_algorithms: list[Literal["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]] = [
        "RS256",
        "ES256",
    ]

    @model_validator(mode="after")
    def _jwt_needs_its_provider(self) -> AuthSettings:
        if self.auth_mode == "jwt":
            missing = [
                f"BATON_AUTH_{name.upper()}"
                for name in ("jwks_url", "issuer", "audience")
                if not getattr(self, f"auth_{name}")
            ]
            if missing:
                raise ValueError(f"BATON_AUTH_MODE=jwt needs {', '.join(missing)}")
        return self


class TokenVerifier:
    """Checks bearer tokens against the identity provider's published keys.

    Keys are fetched from the JWKS URL on first use and cached for 5 minutes; a
    token signed with a key not seen yet triggers a refetch (the provider
    rotated its keys).
    """

    def __init__(self, settings: AuthSettings, *, refresh_cooldown_s: float = 30) -> None:
        """``refresh_cooldown_s``: unknown key ids refetch at most this often, so
        tokens with made-up key ids cannot make Baton hammer the provider."""
        self._settings = settings
        self._jwks = jwt.PyJWKClient(
            settings.auth_jwks_url,
            cache_keys=True,
            lifespan=300,
            timeout=5,
            cooldown_duration=refresh_cooldown_s,
        )

    async def person(self, token: str) -> str:
        """The person id the token names; ``Problem(401)`` saying why not."""
        s = self._settings
        try:
            # PyJWKClient fetches with urllib: keep that off the event loop.
            key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(s.auth_algorithms),
                audience=s.auth_audience,
                issuer=s.auth_issuer,
                options={"require": ["exp", "iss", "aud", s.auth_actor_claim]},
                leeway=30,
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise Problem(
                503,
                "The identity provider's keys cannot be fetched right now; try again.",
                title="Cannot check your token",
            ) from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise Problem(
                401, f"Your token is not accepted: {exc}.", title="Unauthorized", headers=_CHALLENGE
            ) from exc
        person = claims[s.auth_actor_claim]
        if not isinstance(person, str) or not 0 < len(person) <= 128:
            raise Problem(
                401,
                f"Your token's {s.auth_actor_claim!r} claim is not a person id.",
                title="Unauthorized",
                headers=_CHALLENGE,
            )
        return person


async def identify(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_baton_actor: Annotated[str | None, Header(max_length=128)] = None,
) -> str | None:
    """The caller's person id (None in header mode without the header).

    In jwt mode a missing or bad token is a 401, whatever the endpoint. FastAPI
    runs this once per request, however many dependencies ask for it."""
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        person = x_baton_actor or None
    else:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(
                401,
                "Send your identity provider's token as 'Authorization: Bearer <token>'.",
                title="Unauthorized",
                headers=_CHALLENGE,
            )
        person = await verifier.person(token.strip())
    return person


async def actor(person: Annotated[str | None, Depends(identify)]) -> str:
    """Who is acting; endpoints that change something require it."""
    if not person:
        raise Problem(
            401,
            "Say who is acting: send the X-Baton-Actor header with your person id.",
            title="Who are you?",
        )
    return person


ActorDep = Annotated[str, Depends(actor)]
IdentityDep = Annotated[str | None, Depends(identify)]
