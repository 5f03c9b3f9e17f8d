"""Signatures on generic webhooks: ``Baton-Signature: t=<unix seconds>,v1=<hex>``
where ``hex = HMAC-SHA256(secret, f"{t}.{body}")``. Receivers recompute it over the
raw body and reject old timestamps, so a captured request cannot be replayed."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Baton-Signature"
DEFAULT_TOLERANCE_S = 300


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    body: bytes,
    header: str,
    *,
    secret: str,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """What a receiver does: True only for an untampered body signed recently."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(body, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
