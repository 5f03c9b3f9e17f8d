"""Slack-compatible incoming webhooks and generic signed webhooks, over httpx."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from baton_notifications.senders import signing
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings


async def post(
    url: str,
    body: dict[str, Any],
    *,
    settings: Settings,
    secret: str | None = None,
    clock=time.time,  # type: ignore[no-untyped-def]
) -> None:
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[signing.HEADER] = signing.sign(raw, secret=secret, timestamp=int(clock()))
    try:
        async with httpx.AsyncClient(timeout=settings.webhook_timeout_s) as client:
            response = await client.post(url, content=raw, headers=headers)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"webhook timeout after {settings.webhook_timeout_s}s") from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook {type(exc).__name__}") from exc
    if response.status_code >= 300:
        # 4xx other than 408/429: the receiver will refuse this body again.
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise DeliveryError(f"webhook answered {response.status_code}", permanent=permanent)
