"""What the workspace keeps in the browser, signed (itsdangerous) so that it
cannot be forged: the session, the sign-in in progress, and a one-time message
after an action. HttpOnly and SameSite=Lax: scripts cannot read them, and other
sites' forms do not carry them (every form also carries a CSRF token)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION = "baton_session"
SIGNIN = "baton_signin"
FLASH = "baton_flash"
SIGNIN_SECONDS = 600
FLASH_SECONDS = 120


@dataclass
class Session:
    """A signed-in person: who (from their verified access token), the tokens the
    workspace calls ownership with on their behalf, and their CSRF token."""

    person_id: str
    name: str
    roles: list[str]
    departments: list[str]
    access_token: str
    expires_at: float  # the access token's expiry (epoch seconds)
    refresh_token: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))


class Jar:
    """Reads and writes the workspace's signed cookies."""

    def __init__(self, key: str, *, session_seconds: float, secure: bool) -> None:
        self._session = URLSafeTimedSerializer(key, salt="baton-workspace-session")
        self._signin = URLSafeTimedSerializer(key, salt="baton-workspace-signin")
        self._flash = URLSafeTimedSerializer(key, salt="baton-workspace-flash")
        self.session_seconds = int(session_seconds)
        self.secure = secure

    def _read(self, serializer: URLSafeTimedSerializer, raw: str | None, max_age: int) -> Any:
        if not raw:
            return None
        try:
            return serializer.loads(raw, max_age=max_age)
        except BadSignature:
            return None

    def _set(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, samesite="lax", secure=self.secure,
            path="/",
        )  # fmt: skip

    def session(self, request: Request) -> Session | None:
        data = self._read(self._session, request.cookies.get(SESSION), self.session_seconds)
        try:
            return Session(**data) if isinstance(data, dict) else None
        except TypeError:
            return None  # a cookie from another version of the workspace: sign in again

    def keep_session(self, response: Response, session: Session) -> None:
        self._set(response, SESSION, self._session.dumps(asdict(session)), self.session_seconds)

    def signin(self, request: Request) -> dict[str, str] | None:
        data = self._read(self._signin, request.cookies.get(SIGNIN), SIGNIN_SECONDS)
        return data if isinstance(data, dict) else None

    def keep_signin(self, response: Response, state: dict[str, str]) -> None:
        self._set(response, SIGNIN, self._signin.dumps(state), SIGNIN_SECONDS)

    def flash(self, request: Request) -> dict[str, Any] | None:
        data = self._read(self._flash, request.cookies.get(FLASH), FLASH_SECONDS)
        return data if isinstance(data, dict) else None

    def keep_flash(self, response: Response, flash: dict[str, Any]) -> None:
        self._set(response, FLASH, self._flash.dumps(flash), FLASH_SECONDS)

    def forget(self, response: Response, *names: str) -> None:
        for name in names:
            response.delete_cookie(
                name, path="/", httponly=True, samesite="lax", secure=self.secure
            )
