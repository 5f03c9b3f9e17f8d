"""Baton's AsyncAPI document, generated from the event models themselves.

``python -m baton_contracts.asyncapi > docs/asyncapi.json`` writes it; a test
fails when the committed document and the models disagree.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from baton_contracts import envelope as envelope_module
from baton_contracts import topics

# Each topic family's module, and the topic its events travel on.
FAMILIES = {
    "baton_contracts.reported": topics.ISSUES_REPORTED,
    "baton_contracts.routed": topics.ISSUES_ROUTED,
    "baton_contracts.ownership": topics.ISSUES_OWNERSHIP,
    "baton_contracts.departments": topics.DEPARTMENTS,
    "baton_contracts.notifications": topics.NOTIFICATIONS_DELIVERIES,
    "baton_contracts.reroute": topics.ISSUES_REROUTE,
    "baton_contracts.feedback": topics.ISSUES_FEEDBACK,
}

ENVELOPE_DESCRIPTION = (
    "CloudEvents 1.0, structured JSON mode. `subject` is the issue id (for the departments "
    "topic, the department name) and is also the Kafka key, so one issue's events stay in order. "
    "`type` names the payload and its version; within a version changes are additive only."
)


def registered() -> dict[str, type[BaseModel]]:
    return dict(envelope_module._PAYLOADS)


def topic_of(model: type[BaseModel]) -> str:
    try:
        return FAMILIES[model.__module__]
    except KeyError:
        raise KeyError(
            f"{model.__module__} is a topic family AsyncAPI does not know: add it to FAMILIES"
        ) from None


def document() -> dict[str, Any]:
    events = registered()
    _, schemas = models_json_schema(
        [(m, "validation") for m in events.values()],
        ref_template="#/components/schemas/{model}",
    )
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for event_type, model in sorted(events.items()):
        name = model.__name__
        messages[name] = {
            "name": event_type,
            "title": name,
            "summary": (model.__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "traceparent": {"type": "string", "description": "W3C trace context"},
                    "tracestate": {"type": "string"},
                    "baton.event_type": {
                        "const": event_type,
                        "description": "the envelope's type again, so that a consumer "
                        "can pass over the types it does not take without parsing them",
                    },
                },
            },
            "payload": {
                "type": "object",
                "description": ENVELOPE_DESCRIPTION,
                "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
                "properties": {
                    "specversion": {"const": "1.0"},
                    "id": {"type": "string"},
                    "source": {"type": "string", "format": "uri-reference"},
                    "type": {"const": event_type},
                    "subject": {"type": "string"},
                    "time": {"type": "string", "format": "date-time"},
                    "datacontenttype": {"const": "application/json"},
                    "data": {"$ref": f"#/components/schemas/{name}"},
                },
            },
        }
        topic = topic_of(model)
        channel = channels.setdefault(topic, {"address": topic, "messages": {}})
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for topic in list(channels):
        channels[f"{topic}.dlq"] = {
            "address": f"{topic}.dlq",
            "description": (
                f"What could not be handled from {topic}: the original key, value and headers, "
                "plus baton.dlq.reason, baton.dlq.error_type, baton.dlq.topic, "
                "baton.dlq.partition, baton.dlq.offset, baton.dlq.attempts, baton.dlq.service."
            ),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Baton events",
            "version": "1",
            "description": "Every topic Baton's services meet on, and every event on them.",
        },
        "defaultContentType": "application/json",
        "channels": dict(sorted(channels.items())),
        "components": {"messages": messages, "schemas": schemas.get("$defs", {})},
    }


def main() -> None:
    json.dump(document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
