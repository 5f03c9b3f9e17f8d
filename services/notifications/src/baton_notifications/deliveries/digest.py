"""Digests: the notices held for a person's quiet hours go out together when
their working hours begin, one email (or Slack message) for all of them. A
webhook is for machines, which need no digest: each still goes on its own."""

from __future__ import annotations

import json
from collections import defaultdict

from baton_notifications.deliveries.models import Delivery

DIGESTED = ("email", "slack")
RULE = "\n\n" + "-" * 40 + "\n\n"


def batches(rows: list[Delivery]) -> list[list[Delivery]]:
    """Each row alone, except held ones of one person and channel, which go together."""
    groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    alone = []
    for row in rows:
        if row.held and row.channel in DIGESTED:
            groups[(row.recipient_id, row.channel)].append(row)
        else:
            alone.append([row])
    return alone + list(groups.values())


def combined(rows: list[Delivery]) -> Delivery:
    """One delivery (not stored) whose content is every row's, for one send."""
    first = rows[0]
    if len(rows) == 1:
        return first
    contents = [json.loads(r.content) for r in rows]
    heading = f"[Baton] {len(rows)} notices from outside your working hours"
    if first.channel == "email":
        content = {
            "to": contents[0]["to"],
            "subject": heading,
            "text": RULE.join(f"{c['subject']}\n\n{c['text']}" for c in contents),
            "html": "<hr>".join(c["html"] for c in contents),
        }
    else:
        text = RULE.join(c["body"].get("text", "") for c in contents)
        content = {"url": contents[0]["url"], "body": {"text": f"{heading}\n\n{text}"}}
    return Delivery.model_validate(first.model_dump() | {"content": json.dumps(content)})
