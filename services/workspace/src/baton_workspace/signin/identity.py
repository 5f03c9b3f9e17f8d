"""Who is using the workspace: a person signed in through the browser (the
session cookie), or a script sending its own token (``Authorization: Bearer``).
Either way a ``Caller`` as every Baton service knows it, and the token the
workspace acts with on their behalf."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Annotated

from baton_runtime.identity import ROLES, Caller, CallerDep, bearer
from baton_runtime.problems import Problem
from baton_runtime.service import runtime_of
from fastapi import Depends, Header, Request

from baton_workspace.cookies import Jar, Session
from baton_workspace.signin.oidc import Provider, SignInFailed

log = logging.getLogger(__name__)
RENEW_BEFORE_S = 30


@dataclass(frozen=True)
class Who:
    caller: Caller
    name: str
    auth: dict[str, str]  # the headers that make a call to ownership theirs
    csrf: str | None  # None for a bearer-token caller: no cookie, nothing to forge

    @property
    def person_id(self) -> str:
        return self.caller.person_id


def caller_of(session: Session) -> Caller:
    return Caller(
        person_id=session.person_id,
        roles=frozenset(session.roles) & frozenset(ROLES),
        departments=frozenset(session.departments),
    )


async def renew(request: Request, session: Session) -> Session | None:
    """A session whose access token is (nearly) expired, with a fresh one from the
    provider; None when it cannot be renewed (then the person signs in again)."""
    provider: Provider = request.app.state.provider
    if not session.refresh_token:
        return None
    try:
        tokens = await provider.refresh(session.refresh_token)
        caller = await request.app.state.token_verifier.caller(tokens.access_token)
    except (SignInFailed, Problem) as exc:
        log.info("a session could not be renewed: %s", type(exc).__name__)
        return None
    session.access_token, session.expires_at = tokens.access_token, tokens.expires_at
    session.refresh_token = tokens.refresh_token or session.refresh_token
    session.roles, session.departments = sorted(caller.roles), sorted(caller.departments)
    request.state.renewed = session  # the page's response keeps it (``web.render``)
    return session


async def from_session(request: Request, _authorization: str | None) -> Caller | None:
    """``app.state.identify``: the session cookie's person, tried before a bearer token."""
    jar: Jar = request.app.state.jar
    session = jar.session(request)
    if session is None:
        return None
    if session.expires_at < time.time() + RENEW_BEFORE_S:
        session = await renew(request, session)
        if session is None:
            return None
    request.state.session = session
    return caller_of(session)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def who(
    request: Request, caller: CallerDep, authorization: Annotated[str | None, Header()] = None
) -> Who:
    session: Session | None = getattr(request.state, "session", None)
    if session is not None:
        return Who(caller, session.name, _bearer(session.access_token), session.csrf)
    if authorization is not None or runtime_of(request).settings.auth_mode == "jwt":
        return Who(caller, caller.person_id, _bearer(bearer(authorization)), None)
    # Development header mode: ownership (in the same mode) is told the same.
    headers = {
        "X-Baton-Actor": caller.person_id,
        "X-Baton-Roles": ",".join(sorted(caller.roles)),
        "X-Baton-Departments": ",".join(sorted(caller.departments)),
    }
    return Who(caller, caller.person_id, headers, None)


WhoDep = Annotated[Who, Depends(who)]


async def checked(request: Request, person: WhoDep) -> Who:
    """The person, once the form they sent carries their CSRF token."""
    if person.csrf is not None:
        sent = (await request.form()).get("csrf")
        if not isinstance(sent, str) or not secrets.compare_digest(sent, person.csrf):
            raise Problem(
                403,
                "This form is out of date or did not come from the workspace. Reload the page "
                "and try again.",
                title="Form expired",
            )
    return person


# For every POST: who acts, their CSRF token checked.
ActingDep = Annotated[Who, Depends(checked)]
