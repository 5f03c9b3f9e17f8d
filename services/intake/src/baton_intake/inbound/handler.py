"""Other company systems hand issues in over Kafka: topic ``issues.inbound``
carries CloudEvents 1.0 in structured (``application/cloudevents+json``) or
binary (``ce_*`` headers) mode, read with the official CloudEvents SDK.

The event's ``type`` picks an adapter (``BATON_INBOUND_TYPES``). A message that
is no CloudEvent, has an unmapped type or an invalid payload goes to
``issues.inbound.dlq`` with the reason, at once. A ``traceparent`` the
publisher sent (Kafka header, ``ce_traceparent`` or the JSON extension) is
continued: the issue stays in the publisher's trace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from baton_contracts import EventParseError
from baton_runtime.service import Runtime
from baton_runtime.telemetry import tracer
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues import service
from baton_intake.issues.schemas import Channel, Draft, IssueCreate
from baton_intake.settings import Settings
from baton_intake.sources import chat, phone, social

Adapter = Callable[[AsyncSession, Settings, BaseCloudEvent, Any], Awaitable[object]]


class SystemIssue(IssueCreate):
    """``data`` of an issue another system reports; ``channel`` defaults to system."""

    channel: Channel = "system"


async def _issue(session: AsyncSession, settings: Settings, event: BaseCloudEvent, data: Any):
    draft = Draft(
        **data.model_dump()
        | {
            # The CloudEvent (source, id) pair is unique by spec: a redelivery is the same issue.
            "source_system": data.source_system or source_system_of(event.get_source()),
            "external_ref": data.external_ref or event.get_id()[:200],
        }
    )
    return await service.report(session=session, settings=settings, draft=draft)


async def _chat(session: AsyncSession, settings: Settings, _e: BaseCloudEvent, data: Any):
    return await chat.take_in(session=session, settings=settings, transcript=data)


async def _phone(session: AsyncSession, settings: Settings, _e: BaseCloudEvent, data: Any):
    return await phone.take_in(session=session, settings=settings, call=data)


async def _social(session: AsyncSession, settings: Settings, _e: BaseCloudEvent, data: Any):
    return await social.take_in(session=session, settings=settings, post=data)


ADAPTERS: dict[str, tuple[type[BaseModel], Adapter]] = {
    "issue": (SystemIssue, _issue),
    "chat": (chat.ChatTranscript, _chat),
    "phone": (phone.CallRecord, _phone),
    "social": (social.SocialPost, _social),
}


def source_system_of(source: str) -> str:
    """A CloudEvent source (a URI reference) as a source system name."""
    name = re.sub(r"[^a-z0-9._:-]+", "-", source.lower().split("://")[-1]).strip("-._:")
    return (name or "system")[:64]


def parse(record: ConsumerRecord[bytes, bytes]) -> BaseCloudEvent:
    headers = {k: v for k, v in record.headers or () if v is not None}
    message = KafkaMessage(headers=headers, key=record.key, value=record.value or b"")
    try:
        return from_kafka(message, JSONFormat())
    except Exception as exc:  # the SDK raises several kinds; none is worth a retry
        raise EventParseError(f"not a CloudEvent: {type(exc).__name__}: {exc}"[:500]) from exc


def _summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
        for e in exc.errors(include_input=False)
    )[:500]


async def on_inbound(record: ConsumerRecord[bytes, bytes], *, runtime: Runtime[Settings]) -> None:
    settings = runtime.settings
    event = parse(record)
    kind = settings.inbound_types.get(event.get_type())
    if kind is None or kind not in ADAPTERS:
        raise EventParseError(f"unknown CloudEvent type {event.get_type()!r}")
    model, adapter = ADAPTERS[kind]
    data = event.get_data()
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise EventParseError(f"invalid {event.get_type()} payload: not JSON") from exc
    try:
        payload = model.model_validate(data)
        parent = _publisher_context(event)
        with tracer().start_as_current_span(
            f"take in {event.get_type()}",
            context=parent,
            attributes={"cloudevents.event_id": event.get_id()[:200],
                        "cloudevents.event_type": event.get_type()[:200]},
        ):  # fmt: skip
            async with runtime.db.transaction() as session:
                await adapter(session, settings, event, payload)
    except ValidationError as exc:
        raise EventParseError(f"invalid {event.get_type()} payload: {_summary(exc)}") from exc


def _publisher_context(event: BaseCloudEvent):  # type: ignore[no-untyped-def]
    """The publisher's trace, when it came as a CloudEvents extension rather than
    as a Kafka ``traceparent`` header (which the consumer span already follows)."""
    attributes = event.get_attributes()
    traceparent = attributes.get("traceparent")
    if not isinstance(traceparent, str):
        return None
    current = trace.get_current_span().get_span_context()
    context = propagate.extract(
        {"traceparent": traceparent, "tracestate": str(attributes.get("tracestate", ""))}
    )
    theirs = trace.get_current_span(context).get_span_context()
    if not theirs.is_valid or theirs.trace_id == current.trace_id:
        return None
    return context
