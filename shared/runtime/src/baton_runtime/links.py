"""Signed links for people without a session: the acknowledge link in an owner's
email, the satisfaction rating in a reporter's. Whoever follows one is
authenticated by the link's token alone, so a token is narrow: it names its
purpose and what it allows, expires, and carries an id the serving service
records when the link is used (single use is that service's own table).

A token is ``<claims>.<mac>``: the claims as base64url JSON, and
HMAC-SHA256(key, "<purpose>.<claims>") in base64url. A token made for one purpose
never verifies for another, even under the same key. GET on a link must change
nothing (mail scanners follow links); only a POST from the page it shows acts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any


class LinkError(ValueError):
    """The token is not one this service signed for this purpose, or it expired."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, purpose: str, body: str) -> str:
    if not key:
        raise LinkError("no signing key is configured for links")
    return _b64(hmac.new(key.encode(), f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def sign(
    claims: dict[str, Any], *, key: str, purpose: str, ttl_s: float, now: float | None = None
) -> str:
    """A token for ``purpose`` carrying ``claims``, valid for ``ttl_s`` seconds, with
    a fresh ``jti`` (the id to record once it is used)."""
    issued = time.time() if now is None else now
    body = _b64(
        json.dumps(
            {**claims, "jti": uuid.uuid4().hex, "exp": int(issued + ttl_s)},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
    )
    return f"{body}.{_mac(key, purpose, body)}"


def verify(token: str, *, key: str, purpose: str, now: float | None = None) -> dict[str, Any]:
    """The claims of a token signed with ``key`` for ``purpose`` and not yet
    expired; ``LinkError`` saying which of those it is not."""
    body, _, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(key, purpose, body)):
        raise LinkError("this link is not valid")
    try:
        claims = json.loads(_unb64(body))
    except ValueError as exc:
        raise LinkError("this link is not valid") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise LinkError("this link is not valid")
    if (time.time() if now is None else now) > claims["exp"]:
        raise LinkError("this link has expired")
    return claims
