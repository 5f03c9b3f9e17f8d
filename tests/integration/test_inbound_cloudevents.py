"""Other systems over Kafka: CloudEvents (official SDK, both modes) on
issues.inbound become issues, in the publisher's trace; an unknown type lands on
issues.inbound.dlq with the reason."""

import uuid

import pytest
from baton_contracts import ISSUE_REPORTED_V1, EventParseError, parse_event
from baton_contracts.topics import ISSUES_INBOUND, ISSUES_REPORTED, dlq
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from opentelemetry import propagate

from tests.integration.conftest import eventually, read_topic

pytestmark = pytest.mark.integration


def cloudevent(tag: str, type: str = "baton.inbound.issue.v1", **extensions) -> CloudEvent:
    data = {"reporter": {"kind": "customer", "id": f"c-{tag}"}, "subject": f"Renewal {tag}",
            "description": "The renewal failed."}  # fmt: skip
    attributes = {"type": type, "source": "/crm", "id": f"ev-{tag}",
                  "datacontenttype": "application/json", **extensions}  # fmt: skip
    return CloudEvent(attributes=attributes, data=data)


async def send(stack, producer, message: kafka.KafkaMessage, key: str) -> None:
    await producer.send_raw(
        stack.topic(ISSUES_INBOUND), key=key, value=message.value,
        headers=list(message.headers.items()),
    )  # fmt: skip


async def reported(stack) -> list:
    """IssueReported events so far (other tests leave poison messages there too)."""
    events = []
    for r in await read_topic(stack.kafka, stack.topic(ISSUES_REPORTED)):
        try:
            event = parse_event(r.value)
        except EventParseError:
            continue
        if event.type == ISSUE_REPORTED_V1:
            events.append(event)
    return events


async def reported_with_ref(stack, ref: str):
    async def probe():
        return next((e for e in await reported(stack) if e.data.external_ref == ref), None)

    return await eventually(probe, what=f"IssueReported for {ref}")


@pytest.mark.parametrize("mode", [kafka.to_binary, kafka.to_structured])
async def test_a_cloudevent_on_issues_inbound_is_reported_once(stack, producer, mode):
    tag = uuid.uuid4().hex[:8]
    message = mode(cloudevent(tag), JSONFormat())
    await send(stack, producer, message, tag)
    await send(stack, producer, message, tag)  # delivered twice
    event = await reported_with_ref(stack, f"ev-{tag}")
    assert event.data.channel == "system"
    assert len([e for e in await reported(stack) if e.data.external_ref == f"ev-{tag}"]) == 1


async def test_an_unknown_type_goes_to_the_inbound_dlq_with_the_reason(stack, producer):
    tag = uuid.uuid4().hex[:8]
    message = kafka.to_binary(cloudevent(tag, type="com.acme.unknown"), JSONFormat())
    await send(stack, producer, message, f"poison-{tag}")

    async def dead():
        records = await read_topic(stack.kafka, stack.topic(dlq(ISSUES_INBOUND)))
        return [r for r in records if r.key == f"poison-{tag}".encode()] or None

    [record] = await eventually(dead, what="the unknown CloudEvent on issues.inbound.dlq")
    headers = {k: v.decode() for k, v in record.headers}
    assert "unknown CloudEvent type 'com.acme.unknown'" in headers["baton.dlq.reason"]


async def test_the_publishers_traceparent_is_continued(stack, producer):
    tag = uuid.uuid4().hex[:8]
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    message = kafka.to_binary(cloudevent(tag), JSONFormat())
    # As a plain Kafka header, the way an instrumented producer sends it.
    await producer.send_raw(
        stack.topic(ISSUES_INBOUND), key=tag, value=message.value,
        headers=list(message.headers.items()),
        parent=propagate.extract({"traceparent": traceparent}),
    )  # fmt: skip
    event = await reported_with_ref(stack, f"ev-{tag}")

    async def intake_spans():
        spans = [s for s in stack.otlp.snapshot() if s.trace_id == trace_id]
        return spans if any(s.service == "baton-intake" for s in spans) else None

    spans = await eventually(intake_spans, what="intake spans in the publisher's trace")
    assert event.subject in {a for s in spans for a in s.attributes.values()}
