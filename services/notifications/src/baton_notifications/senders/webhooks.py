"""Slack-compatible incoming webhooks and generic signed webhooks.

Each post goes through ``egress``: only to allowed URLs and public addresses,
checked when the connection is made; redirects are not followed. What the
receiver answers is reduced to its status: its body is never read, so nothing
it says can reach ``last_error`` or a log. The whole post, name resolution to
status line, is bounded by ``BATON_WEBHOOK_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpcore

from baton_notifications.senders import egress, signing
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings

_FAILURES = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    OSError,
)


async def post(
    url: str,
    body: dict[str, Any],
    *,
    settings: Settings,
    channel: str = "webhook",
    secret: str | None = None,
    clock=time.time,  # type: ignore[no-untyped-def]
    resolve: egress.Resolver | None = None,
) -> None:
    """POST ``body`` as JSON; signed when ``secret`` is given. Raises
    ``DeliveryError`` saying why in Baton's words, never the receiver's."""
    policy = egress.Policy.of(settings, resolve)
    try:
        egress.check_url(url, channel=channel, policy=policy)
    except egress.Refused as exc:
        raise DeliveryError(f"{channel} refused: {exc.rule}", permanent=True) from None
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"user-agent", b"baton-notifications")]
    if secret is not None:
        signature = signing.sign(raw, secret=secret, timestamp=int(clock()))
        headers.append((signing.HEADER.encode(), signature.encode()))
    timeout_s = settings.webhook_timeout_s
    try:
        async with asyncio.timeout(timeout_s):
            status = await _status_of_post(url, headers, raw, policy=policy, timeout_s=timeout_s)
    except egress.Refused as exc:
        raise DeliveryError(f"{channel} refused: {exc.rule}", permanent=True) from None
    except (TimeoutError, httpcore.TimeoutException):
        raise DeliveryError(f"{channel} timeout after {timeout_s}s") from None
    except _FAILURES as exc:
        raise DeliveryError(f"{channel} {type(exc).__name__}") from None
    if 300 <= status < 400:
        reason = f"{channel} answered {status} (redirects are not followed)"
        raise DeliveryError(reason, permanent=True)
    if status >= 400:
        # 4xx other than 408/429: the receiver will refuse this body again.
        permanent = status < 500 and status not in (408, 429)
        raise DeliveryError(f"{channel} answered {status}", permanent=permanent)


async def _status_of_post(
    url: str,
    headers: list[tuple[bytes, bytes]],
    raw: bytes,
    *,
    policy: egress.Policy,
    timeout_s: float,
) -> int:
    limits = {"connect": timeout_s, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
    async with (
        httpcore.AsyncConnectionPool(
            network_backend=egress.GuardedBackend(policy), max_connections=1
        ) as pool,
        pool.stream(
            "POST", url, headers=headers, content=raw, extensions={"timeout": limits}
        ) as response,
    ):
        return response.status  # the body is never read
