"""The one way Baton publishes: acks=all, idempotent, traced."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from baton_contracts import Envelope
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from baton_runtime.kafka.connection import KafkaConnection, start_client
from baton_runtime.kafka.tracing import Headers, inject_headers, messaging_attributes
from baton_runtime.telemetry import tracer

# Every event carries its envelope's ``type`` in this header too, so that a consumer
# can pass over the types it does not handle without parsing them.
EVENT_TYPE_HEADER = "baton.event_type"


def _typed(headers: Headers, event_type: str | None) -> Headers:
    """``headers`` with the event type's, unless they carry one (a DLQ copy does)."""
    if not event_type or any(k == EVENT_TYPE_HEADER for k, _ in headers):
        return headers
    return [*headers, (EVENT_TYPE_HEADER, event_type.encode())]


@dataclass(frozen=True)
class Outgoing:
    """An event as the outbox stored it: its envelope already serialized (what
    ``Envelope.to_json`` gave), and the context it was created in (``parent``), so
    the PRODUCER span sits in the issue's trace even when a relay publishes later."""

    topic: str
    key: str
    value: bytes
    event_id: str
    event_type: str
    parent: Context | None = None


class EventProducer:
    def __init__(self, kafka: KafkaConnection | str, *, client_id: str, linger_ms: int = 0) -> None:
        self._kafka = KafkaConnection.of(kafka)
        self._client_id = client_id
        self.linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka binds its clients to the running loop: create them here, not earlier.
        self._producer = AIOKafkaProducer(
            **self._kafka.client_options(),
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.linger_ms,
        )
        await start_client(self._producer, self._kafka)

    @property
    def _client(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("EventProducer.start() was not awaited")
        return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def ping(self) -> None:
        """Raise unless the cluster answers a metadata request."""
        await self._client.client.fetch_all_metadata()

    async def publish(
        self, topic: str, envelope: Envelope, *, parent: Context | None = None
    ) -> None:
        """Publish and wait for the broker's acknowledgement.

        ``parent`` is the context the event was created in (an outbox row keeps
        it), so the PRODUCER span sits in the issue's trace even when a relay
        publishes later.
        """
        await self.send_raw(
            topic,
            key=envelope.subject,
            value=envelope.to_json(),
            parent=parent,
            event_id=envelope.id,
            event_type=envelope.type,
        )

    async def publish_many(self, items: list[Outgoing]) -> None:
        """Publish stored events in order, all in flight at once, and return when
        the broker has acknowledged every one (raise if any failed).

        Sends to one partition keep their order (the idempotent producer keeps one
        batch per partition in flight), so one issue's events stay in order."""
        spans: list[Span] = []
        pending = []
        try:
            for item in items:
                attrs = messaging_attributes(
                    topic=item.topic, operation="send", event_id=item.event_id, issue_id=item.key
                )
                attrs["baton.event_type"] = item.event_type
                span = tracer().start_span(
                    f"send {item.topic}",
                    context=item.parent,
                    kind=trace.SpanKind.PRODUCER,
                    attributes=attrs,
                )
                spans.append(span)
                pending.append(
                    await self._client.send(
                        item.topic,
                        key=item.key.encode(),
                        value=item.value,
                        headers=inject_headers(
                            _typed([], item.event_type), context=trace.set_span_in_context(span)
                        ),
                    )
                )
            results = await asyncio.gather(*pending, return_exceptions=True)
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.end()
            raise
        failed: BaseException | None = None
        for span, result in zip(spans, results, strict=True):
            if isinstance(result, BaseException):
                failed = failed or result
                span.record_exception(result)
                span.set_status(Status(StatusCode.ERROR, type(result).__name__))
            span.end()
        if failed is not None:
            raise failed

    async def send_raw(
        self,
        topic: str,
        *,
        key: str | None,
        value: bytes | None,
        headers: Headers | None = None,
        parent: Context | None = None,
        event_id: str | None = None,
        event_type: str | None = None,
    ) -> None:
        attrs = messaging_attributes(topic=topic, operation="send", event_id=event_id, issue_id=key)
        if event_type:
            attrs["baton.event_type"] = event_type
        with tracer().start_as_current_span(
            f"send {topic}", context=parent, kind=trace.SpanKind.PRODUCER, attributes=attrs
        ):
            # Strip any trace headers the message already had: this span is its parent now.
            base = [(k, v) for k, v in headers or [] if k not in ("traceparent", "tracestate")]
            base = _typed(base, event_type)
            await self._client.send_and_wait(
                topic,
                key=key.encode() if key is not None else None,
                value=value,
                headers=inject_headers(base),
            )
