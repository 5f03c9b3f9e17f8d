"""W3C trace context in Kafka headers, and the ``messaging.*`` span attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry import propagate
from opentelemetry.context import Context

Headers = list[tuple[str, bytes]]


def inject_headers(headers: Headers, context: Context | None = None) -> Headers:
    """Add ``traceparent``/``tracestate`` for the current (or given) context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return headers + [(k, v.encode()) for k, v in carrier.items()]


def extract_context(headers: Sequence[tuple[str, bytes]] | None) -> Context:
    carrier = {k: v.decode("latin-1") for k, v in headers or () if v is not None}
    return propagate.extract(carrier)


def carrier_from_current() -> dict[str, str]:
    """The current context as a plain dict, to store next to an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_carrier(carrier: Mapping[str, str] | None) -> Context:
    return propagate.extract(dict(carrier or {}))


def messaging_attributes(
    *, topic: str, operation: str, event_id: str | None, issue_id: str | None
) -> dict[str, str]:
    attrs = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
    }
    if event_id:
        attrs["messaging.message.id"] = event_id
    if issue_id:
        attrs["messaging.kafka.message.key"] = issue_id
        attrs["baton.issue_id"] = issue_id
    return attrs
