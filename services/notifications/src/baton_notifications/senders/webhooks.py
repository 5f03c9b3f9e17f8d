"""Slack-compatible incoming webhooks and generic signed webhooks.

Each post goes through ``egress`` and the kernel's ``baton_runtime.egress``: only
to allowed URLs and public addresses, checked when the connection is made;
redirects are not followed. What the
receiver answers is reduced to its status: its body is never read, so nothing
it says can reach ``last_error`` or a log. The whole post, name resolution to
status line, is bounded by ``BATON_WEBHOOK_TIMEOUT_S``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from baton_runtime import egress as guard

from baton_notifications.senders import egress, signing
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings


async def post(
    url: str,
    body: dict[str, Any],
    *,
    settings: Settings,
    channel: str = "webhook",
    secret: str | None = None,
    clock=time.time,  # type: ignore[no-untyped-def]
    resolve: guard.Resolver | None = None,
) -> None:
    """POST ``body`` as JSON; signed when ``secret`` is given. Raises
    ``DeliveryError`` saying why in Baton's words, never the receiver's."""
    policy = egress.Policy.of(settings, resolve)
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"user-agent", b"baton-notifications")]
    if secret is not None:
        signature = signing.sign(raw, secret=secret, timestamp=int(clock()))
        headers.append((signing.HEADER.encode(), signature.encode()))
    try:
        egress.check_url(url, channel=channel, policy=policy)
        await guard.post(
            url, raw, headers=headers, policy=policy, timeout_s=settings.webhook_timeout_s
        )
    except guard.Failed as exc:
        raise DeliveryError(f"{channel} {exc.reason}", permanent=exc.permanent) from None
