"""Who is calling, and what they may do.

Every ``/v1`` endpoint needs a verified identity. By default (``BATON_AUTH_MODE=jwt``)
that is a signed token, ``Authorization: Bearer <JWT>``, from the company's
identity provider: Baton checks its signature against the provider's JWKS
(``BATON_AUTH_JWKS_URL``), its issuer, audience and expiry, takes the person id
from a claim (``BATON_AUTH_ACTOR_CLAIM``, ``sub``), their roles from another
(``BATON_AUTH_ROLES_CLAIM``, ``roles``) and the departments they belong to from a
third (``BATON_AUTH_DEPARTMENTS_CLAIM``, ``departments``). A service without
those settings refuses to start.

``BATON_AUTH_MODE=header`` trusts ``X-Baton-Actor`` (and ``X-Baton-Roles``,
``X-Baton-Departments``) as a gateway would set them. Anyone who can reach the
service could set them too, so it is for development and tests only: it needs
``BATON_ENVIRONMENT=development`` and is refused otherwise.

Roles (``ROLES``): ``administrator`` may do everything; ``head`` manages their
department's members; ``liaison`` works the issues of their departments;
``agent`` reports issues; ``reader`` (every employee) sees the stall board and
scorecards. Each route says who may call it with ``allow(...)``; what a role
allows within a department (is this person the owner, the head of *this*
department?) the service decides, as part of the change.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Header, Request
from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from baton_runtime.problems import Problem

AuthMode = Literal["header", "jwt"]
Environment = Literal["development", "production"]
ROLES = ("administrator", "head", "liaison", "agent", "reader")
# A route any verified caller may use (the service checks the rest: say, one's own
# preferences).
ANYONE = "anyone"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="baton"'}


class AuthSettings(BaseSettings):
    """``BATON_ENVIRONMENT`` and the ``BATON_AUTH_*`` settings (part of every
    service's settings)."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    # production unless said otherwise: nothing development-only is on by accident.
    environment: Environment = "production"
    auth_mode: AuthMode = "jwt"
    auth_jwks_url: str = ""
    auth_issuer: str = ""
    auth_audience: str = ""
    auth_actor_claim: str = "sub"
    auth_roles_claim: str = "roles"
    auth_departments_claim: str = "departments"
    # Asymmetric algorithms only: a shared-secret token could be forged by anyone
    # who can verify one.
    auth_algorithms: list[Literal["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]] = [
        "RS256",
        "ES256",
    ]

    @model_validator(mode="after")
    def _header_mode_is_for_development(self) -> AuthSettings:
        if self.auth_mode == "header" and self.environment != "development":
            raise ValueError(
                "BATON_AUTH_MODE=header trusts whatever X-Baton-Actor a caller sends: it needs "
                "BATON_ENVIRONMENT=development and is refused anywhere else. Use jwt."
            )
        return self

    def check_auth(self) -> None:
        """Raise, naming what is missing, unless callers can be verified."""
        if self.auth_mode == "jwt":
            missing = [
                f"BATON_AUTH_{name.upper()}"
                for name in ("jwks_url", "issuer", "audience")
                if not getattr(self, f"auth_{name}")
            ]
            if missing:
                raise ValueError(
                    f"BATON_AUTH_MODE=jwt (the default) needs {', '.join(missing)}: the "
                    "identity provider whose tokens callers send (`make run` starts a "
                    "development one)"
                )


@dataclass(frozen=True)
class Caller:
    """A verified caller: a person, their roles and their departments."""

    person_id: str
    roles: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    # Set for a system calling with an API key (intake), not a person.
    system: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def may(self, *roles: str) -> bool:
        """Does any of ``roles`` apply? An administrator may do everything."""
        return "administrator" in self.roles or ANYONE in roles or bool(self.roles & set(roles))

    @property
    def administrator(self) -> bool:
        return "administrator" in self.roles


def _names(value: Any) -> frozenset[str]:
    """A claim or header holding names: a list, or a comma- or space-separated string."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        return frozenset()
    return frozenset(v for v in value if isinstance(v, str) and 0 < len(v) <= 64)


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

    async def caller(self, token: str) -> Caller:
        """Who the token names, with roles and departments; ``Problem(401)`` saying why not."""
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
        return Caller(
            person_id=person,
            roles=_names(claims.get(s.auth_roles_claim)) & frozenset(ROLES),
            departments=_names(claims.get(s.auth_departments_claim)),
        )

    async def person(self, token: str) -> str:
        return (await self.caller(token)).person_id


def bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header, or a 401 saying how to send one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "Send your identity provider's token as 'Authorization: Bearer <token>'.",
            title="Unauthorized",
            headers=_CHALLENGE,
        )
    return token.strip()


async def identify(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_baton_actor: Annotated[str | None, Header(max_length=128)] = None,
    x_baton_roles: Annotated[str | None, Header(max_length=512)] = None,
    x_baton_departments: Annotated[str | None, Header(max_length=1024)] = None,
) -> Caller | None:
    """The verified caller (None in header mode without the header).

    In jwt mode a missing or bad token is a 401, whatever the endpoint. FastAPI
    runs this once per request, however many dependencies ask for it. A service
    may put its own resolver on ``app.state.identify`` (intake: API keys), tried
    first; None from it leaves the caller to the token (or header)."""
    own = getattr(request.app.state, "identify", None)
    if own is not None:
        found: Caller | None = await own(request, authorization)
        if found is not None:
            return found
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if verifier is not None:
        return await verifier.caller(bearer(authorization))
    if not x_baton_actor:
        return None
    # Header mode (development only): a gateway's word, roles included. Without
    # X-Baton-Roles every role applies, as a developer trying things out expects.
    roles = _names(x_baton_roles) if x_baton_roles is not None else frozenset(ROLES)
    return Caller(x_baton_actor, roles & frozenset(ROLES), _names(x_baton_departments))


async def caller(found: Annotated[Caller | None, Depends(identify)]) -> Caller:
    """Who is calling; every ``/v1`` endpoint requires it."""
    if found is None:
        raise Problem(
            401,
            "Say who is acting: send 'Authorization: Bearer <token>' (or, in development "
            "header mode, the X-Baton-Actor header with your person id).",
            title="Who are you?",
            headers=_CHALLENGE,
        )
    return found


async def actor(who: Annotated[Caller, Depends(caller)]) -> str:
    return who.person_id


CallerDep = Annotated[Caller, Depends(caller)]
ActorDep = Annotated[str, Depends(actor)]


def allow(*roles: str) -> dict[str, Any]:
    """A route's keyword arguments saying who may call it: the roles (or ``ANYONE``
    verified), enforced with a 403 and published as ``x-baton-roles`` in OpenAPI."""
    unknown = set(roles) - set(ROLES) - {ANYONE}
    if not roles or unknown:
        raise ValueError(f"allow() takes roles from {ROLES} or ANYONE, not {sorted(unknown)}")

    async def gate(who: CallerDep) -> None:
        if not who.may(*roles):
            raise Problem(
                403,
                f"This needs one of the roles {', '.join(roles)}; you have "
                f"{', '.join(sorted(who.roles)) or 'none'}.",
                title="Not allowed",
            )

    return {"dependencies": [Depends(gate)], "openapi_extra": {"x-baton-roles": list(roles)}}
