"""issues.inbound: CloudEvents from other systems, made with the official SDK in
both Kafka modes. The handler is a plain function: no broker needed here."""

from __future__ import annotations

import pytest
from aiokafka import ConsumerRecord
from baton_contracts import ISSUE_REPORTED_V1, ISSUE_UPDATED_V1, EventParseError
from baton_intake.inbound.handler import on_inbound, source_system_of
from baton_runtime.telemetry import tracer
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

ISSUE = {
    "reporter": {"kind": "customer", "id": "crm-cust-9"},
    "subject": "Contract renewal failed",
    "description": "The renewal job for contract 77 errored.",
}
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def cloudevent(data, *, type="baton.inbound.issue.v1", id="ev-1", **extensions) -> CloudEvent:
    attributes = {"type": type, "source": "https://crm.acme.example/eu", "id": id,
                  "datacontenttype": "application/json", **extensions}  # fmt: skip
    return CloudEvent(attributes=attributes, data=data)


def record(message: kafka.KafkaMessage, offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t.issues.inbound", partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=None, value=message.value, checksum=None, serialized_key_size=0,
        serialized_value_size=len(message.value), headers=list(message.headers.items()),
    )  # fmt: skip


def binary(event: CloudEvent) -> ConsumerRecord:
    return record(kafka.to_binary(event, JSONFormat()))


def structured(event: CloudEvent) -> ConsumerRecord:
    return record(kafka.to_structured(event, JSONFormat()))


@pytest.mark.parametrize("mode", [binary, structured])
async def test_a_cloudevent_in_either_mode_reports_a_system_issue(client, mode):
    await on_inbound(mode(cloudevent(ISSUE)), runtime=client.runtime)
    [event] = await client.outbox()
    assert event.type == ISSUE_REPORTED_V1
    assert event.data.channel == "system"
    assert event.data.source_system == "crm.acme.example-eu"
    assert event.data.external_ref == "ev-1"


async def test_the_same_cloudevent_delivered_twice_is_one_issue(client):
    await on_inbound(binary(cloudevent(ISSUE)), runtime=client.runtime)
    await on_inbound(structured(cloudevent(ISSUE)), runtime=client.runtime)
    assert len(await client.outbox()) == 1


async def test_the_type_mapping_picks_the_adapter_chat_then_its_update(client):
    transcript = {"conversation_id": "c-1", "customer": {"id": "cust-1"},
                  "messages": [{"from": "customer", "text": "Hi, broken app",
                                "at": "2026-11-23T10:00:00Z"}]}  # fmt: skip
    await on_inbound(
        binary(cloudevent(transcript, type="baton.inbound.chat.v1")), runtime=client.runtime
    )
    later = transcript | {"messages": [*transcript["messages"], {
        "from": "customer", "text": "Still broken", "at": "2026-11-23T11:00:00Z"}]}  # fmt: skip
    await on_inbound(
        binary(cloudevent(later, type="baton.inbound.chat.v1", id="ev-2")), runtime=client.runtime
    )
    assert [e.type for e in await client.outbox()] == [ISSUE_REPORTED_V1, ISSUE_UPDATED_V1]


async def test_the_mapping_is_configurable(client):
    client.runtime.settings.inbound_types = {"com.acme.ticket.created": "issue"}
    await on_inbound(
        binary(cloudevent(ISSUE, type="com.acme.ticket.created")), runtime=client.runtime
    )
    assert len(await client.outbox()) == 1
    with pytest.raises(EventParseError, match="unknown CloudEvent type"):
        await on_inbound(binary(cloudevent(ISSUE)), runtime=client.runtime)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (binary(cloudevent(ISSUE, type="com.acme.unknown")), "unknown CloudEvent type"),
        (binary(cloudevent({"subject": "x"})), "invalid baton.inbound.issue.v1 payload"),
        (structured(cloudevent(ISSUE | {"reporter": {"kind": "robot", "id": "r"}})),
         "reporter.kind"),
        (record(kafka.KafkaMessage(headers={}, key=None, value=b"{nope")), "not a CloudEvent"),
        (record(kafka.KafkaMessage(headers={}, key=None, value=b'{"id": "1"}')),
         "not a CloudEvent"),
    ],
)  # fmt: skip
async def test_unknown_types_and_invalid_payloads_are_unprocessable_with_a_reason(
    client, message, reason
):
    # EventParseError makes the consumer runner dead-letter at once, with this reason.
    with pytest.raises(EventParseError, match=reason):
        await on_inbound(message, runtime=client.runtime)
    assert await client.outbox() == []


async def test_a_traceparent_sent_as_a_cloudevents_extension_is_continued(client):
    with tracer().start_as_current_span("consumer span without a parent"):
        await on_inbound(
            structured(cloudevent(ISSUE, traceparent=TRACEPARENT)), runtime=client.runtime
        )
    [row] = await client.outbox_rows()
    assert row.trace_context["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]


def test_a_cloudevent_source_becomes_a_source_system_name():
    assert source_system_of("https://crm.acme.example/eu") == "crm.acme.example-eu"
    assert source_system_of("/") == "system"
