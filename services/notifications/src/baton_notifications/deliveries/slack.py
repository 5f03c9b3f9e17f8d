"""A notice as a Slack message (Block Kit, for incoming webhooks): the same as the
email says, with buttons that open the issue and the acknowledge link's page."""

from __future__ import annotations

from typing import Any

from baton_notifications.deliveries.templates import Rendered


def _escaped(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: a reporter's words must not link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quoted(text: str, limit: int = 2_900) -> str:
    return "\n".join(f"> {line}" for line in _escaped(text[:limit]).splitlines())


def message(msg: Rendered) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": msg.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _escaped(msg.ask)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{_escaped(label)}*\n{_escaped(value)}"}
                for label, value in msg.facts[:10]  # Slack takes ten fields at most
            ],
        },
    ]
    for text in (msg.new_text, msg.excerpt):
        if text:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _quoted(text)}})
    buttons = [_button(msg.labels["open"], msg.link)]
    if msg.acknowledge_link:
        ack = _button(msg.labels["acknowledge"], msg.acknowledge_link)
        buttons.append(ack | {"style": "primary"})
    blocks.append({"type": "actions", "elements": buttons})
    # `text` is what Slack's notifications, and clients without blocks, show.
    return {"text": f"{_escaped(msg.subject)}\n<{msg.link}|{msg.labels['open']}>", "blocks": blocks}


def _button(label: str, url: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
