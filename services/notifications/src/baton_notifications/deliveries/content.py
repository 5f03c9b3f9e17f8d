"""What each channel is sent: rendered once, when the delivery is recorded, so a
retry sends exactly what the first attempt tried."""

from __future__ import annotations

from typing import Any

from baton_contracts import Envelope
from pydantic import BaseModel

from baton_notifications.deliveries.plan import Notice
from baton_notifications.deliveries.templates import render
from baton_notifications.senders import webhooks
from baton_notifications.settings import Settings


def build(
    channel: str,
    *,
    notice: Notice,
    event: BaseModel,
    envelope: Envelope,
    settings: Settings,
    prefs: Any,
) -> tuple[str, dict[str, Any]] | None:
    """(address shown in the API, what to send) for one channel; None if it has no address."""
    assert notice.person is not None
    msg = render(
        notice.kind,
        event=event,
        person=notice.person,
        due_at=notice.due_at,
        public_base_url=settings.public_base_url,
    )
    if channel == "email":
        to = f"{notice.person.name} <{notice.person.email}>"
        return notice.person.email, {
            "to": to,
            "subject": msg.subject,
            "text": msg.text,
            "html": msg.html,
            # For mail rules and for machines: which issue, which event, what kind.
            "headers": {
                "X-Baton-Issue": envelope.subject,
                "X-Baton-Event": envelope.id,
                "X-Baton-Kind": notice.kind,
            },
        }
    if channel == "slack":
        if not (prefs and prefs.slack_webhook_url):
            return None
        body = webhooks.slack_body(subject=msg.subject, text=msg.text, link=msg.link)
        return "slack webhook", {"url": prefs.slack_webhook_url, "body": body}
    if channel == "webhook":
        if not (prefs and prefs.webhook_url):
            return None
        body = {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "kind": notice.kind,
            "issue_id": envelope.subject,
            "recipient_id": notice.recipient_id,
            "subject": msg.subject,
            "text": msg.text,
            "link": msg.link,
            "due_at": notice.due_at.isoformat() if notice.due_at else None,
        }
        return "webhook", {"url": prefs.webhook_url, "body": body}
    return None
