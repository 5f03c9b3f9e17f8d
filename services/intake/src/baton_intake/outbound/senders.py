"""Sending to a reporter: by email, threaded on their conversation, or through a
channel's connector (a signed webhook: chat, social, web forms).

Connector requests carry ``Baton-Signature: t=<unix seconds>,v1=<hex>``, hex =
HMAC-SHA256(the connector's secret, "<t>." + raw body): the scheme of
notifications' webhooks, so one verifier serves both. They go through the
kernel's egress guard (``baton_runtime.egress``): https outside development,
public addresses (or ``BATON_CONNECTOR_ALLOWED_HOSTS``) checked at connect time,
no redirects followed, ``BATON_CONNECTOR_TIMEOUT_S`` for the whole request.
Errors say what failed in Baton's words, never to whom (no address in a reason,
a log or a span) and never what the connector answered (its body is not read)."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from baton_runtime import egress, mime
from baton_runtime.smtp import Raw, SendFailed

from baton_intake.outbound.render import Letter
from baton_intake.settings import Connector, Settings

SIGNATURE = "Baton-Signature"


def email_message(
    letter: Letter,
    *,
    settings: Settings,
    to: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
    auto_submitted: str | None,
) -> Raw | EmailMessage:
    """The mail to the reporter at ``to``, threaded on their conversation, as the
    kernel writes mail for the wire (``baton_runtime.mime``)."""
    headers = {
        # RFC 5322 requires it, and a mail server need not add it for a client
        # (Postfix does not, by default); mail without one reads as spam.
        "Date": formatdate(usegmt=True),
        "Message-ID": message_id,
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    headers["Content-Language"] = letter.language
    if auto_submitted:
        # RFC 3834: sent by a machine, so no well-behaved responder answers it again.
        headers["Auto-Submitted"] = auto_submitted
        headers["X-Auto-Response-Suppress"] = "All"
    return mime.compose(
        mail_from=settings.mail_from,
        to=to,
        subject=letter.subject,
        text=letter.text,
        html=letter.html,
        headers=headers,
    )


def message_id_for(settings: Settings, token: str) -> str:
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "baton.invalid"
    return f"<baton.{token}@{domain}>"


def signature(raw: bytes, *, secret: str, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def connector_policy(settings: Settings, resolve: egress.Resolver | None = None) -> egress.Policy:
    hosts, networks = egress.allowed_entries(settings.connector_allowed_hosts)
    return egress.Policy(
        development=settings.environment == "development",
        noun="connector",
        allowed_hosts=hosts,
        allowed_networks=networks,
        allow_setting="BATON_CONNECTOR_ALLOWED_HOSTS",
        resolve=resolve or egress.system_resolver,
    )


async def post(
    connector: Connector,
    body: dict[str, Any],
    *,
    settings: Settings,
    resolve: egress.Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """POST ``body`` signed; ``resolve`` and ``ssl_context`` are for tests (the
    system's resolver and trust store otherwise)."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    at = int(time.time())
    headers = [
        (b"content-type", b"application/json"),
        (b"user-agent", b"baton-intake"),
        (
            SIGNATURE.encode(),
            signature(raw, secret=connector.secret.get_secret_value(), at=at).encode(),
        ),
    ]
    try:
        await egress.post(
            str(connector.url),
            raw,
            headers=headers,
            policy=connector_policy(settings, resolve),
            timeout_s=settings.connector_timeout_s,
            ssl_context=ssl_context,
        )
    except egress.Failed as exc:
        raise SendFailed(f"connector {exc.reason}", permanent=exc.permanent) from None
