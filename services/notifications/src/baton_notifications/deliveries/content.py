"""What each channel is sent: rendered once, when the delivery is recorded, so a
retry sends exactly what the first attempt tried."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from baton_contracts import Envelope, Escalated, OwnerAssigned
from baton_runtime.links import sign
from pydantic import BaseModel

from baton_notifications import zones
from baton_notifications.deliveries import slack, words
from baton_notifications.deliveries.plan import Notice
from baton_notifications.deliveries.templates import About, Rendered, render
from baton_notifications.issues.models import IssueCopy
from baton_notifications.settings import Settings

ACKNOWLEDGE = "acknowledge"  # the purpose ownership verifies the link's token for


def issue_link(settings: Settings, issue_id: str) -> str:
    """The workspace's page for the issue, where people act on it; else ownership's API."""
    if settings.workspace_url:
        return f"{settings.workspace_url.rstrip('/')}/issues/{issue_id}"
    return f"{settings.public_base_url.rstrip('/')}/v1/issues/{issue_id}"


def acknowledge_link(settings: Settings, notice: Notice, event: BaseModel) -> str | None:
    """A signed, expiring, single-use link that acknowledges the issue as the
    recipient, for a notice that makes them an owner who has not acknowledged yet."""
    key = settings.link_signing_key.get_secret_value()
    unacknowledged = (isinstance(event, OwnerAssigned) and event.via != "handoff") or (
        isinstance(event, Escalated) and event.moved
    )
    if not key or not unacknowledged or notice.kind not in ("assigned", "escalated"):
        return None
    claims = {"issue_id": event.issue_id, "person_id": notice.recipient_id}  # type: ignore[attr-defined]
    token = sign(claims, key=key, purpose=ACKNOWLEDGE, ttl_s=settings.acknowledge_link_hours * 3600)
    return f"{settings.public_base_url.rstrip('/')}/links/acknowledge/{token}"


def zone_of(name: str | None, settings: Settings) -> ZoneInfo:
    """The recipient's time zone, else the default (both were checked when set)."""
    return zones.zone(name or settings.default_time_zone)


def about(
    *, notice: Notice, event: BaseModel, issue: IssueCopy, settings: Settings, prefs: Any
) -> About:
    return About(
        issue=issue,
        link=issue_link(settings, issue.issue_id),
        # The recipient's own language, else the issue's, else the default.
        language=words.language_of(
            getattr(prefs, "language", None), issue.language, settings.default_language
        ),
        zone=zone_of(getattr(prefs, "time_zone", None), settings),
        acknowledge_link=acknowledge_link(settings, notice, event),
        new_text=notice.new_text,
    )


def build(
    channel: str,
    *,
    notice: Notice,
    event: BaseModel,
    envelope: Envelope,
    settings: Settings,
    prefs: Any,
    issue: IssueCopy,
) -> tuple[str, dict[str, Any]] | None:
    """(address shown in the API, what to send) for one channel; None if it has no address."""
    assert notice.person is not None
    msg = render(
        notice.kind,
        event=event,
        person=notice.person,
        due_at=notice.due_at,
        about=about(notice=notice, event=event, issue=issue, settings=settings, prefs=prefs),
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
        return "slack webhook", {"url": prefs.slack_webhook_url, "body": slack.message(msg)}
    if channel == "webhook":
        if not (prefs and prefs.webhook_url):
            return None
        body = webhook_body(msg, notice, envelope, issue)
        return "webhook", {"url": prefs.webhook_url, "body": body}
    return None


def webhook_body(
    msg: Rendered, notice: Notice, envelope: Envelope, issue: IssueCopy
) -> dict[str, Any]:
    """The notice for a machine: the rendered text, and what it says as data."""
    known = issue.model_dump(
        mode="json",
        include={
            "reference", "subject", "priority", "channel", "internal", "reporter_department",
            "department", "routing_reason", "acknowledge_due_at", "resolve_due_at",
        },
    )  # fmt: skip
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "kind": notice.kind,
        "issue_id": envelope.subject,
        "recipient_id": notice.recipient_id,
        "subject": msg.subject,
        "text": msg.text,
        "link": msg.link,
        "acknowledge_link": msg.acknowledge_link,
        "issue": known,
        "description": msg.excerpt,
        "new_text": msg.new_text,
        "due_at": notice.due_at.isoformat() if notice.due_at else None,
    }
