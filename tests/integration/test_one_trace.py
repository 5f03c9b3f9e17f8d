"""One issue is one trace across all five services, and every consumer span's
parent is the producer span of the message it handled."""

import pytest

from tests.integration.conftest import eventually
from tests.integration.test_issue_journey import owner_of, report

pytestmark = pytest.mark.integration

SERVICES = {
    "baton-intake",
    "baton-routing",
    "baton-ownership",
    "baton-notifications",
    "baton-workspace",
}


async def test_an_issue_is_one_trace_across_the_five_services(stack, http):
    issue_id = await report(stack, http, "Where is my parcel? tracking is stuck")
    await owner_of(stack, http, issue_id)

    def spans_of_issue():
        return [s for s in stack.otlp.snapshot() if s.attributes.get("baton.issue_id") == issue_id]

    # Notifications reads issues.reported too (to learn internal reporters), intake
    # issues.ownership (the reporter hears who owns it), and the workspace reads
    # everything. Routing reads issues.ownership for resolutions only (they label its
    # training history) and ownership notifications.deliveries for failures only:
    # an assignment and a notice sent are passed over by their header, unparsed and
    # without a span.
    expected = [
        ("baton-intake", "issues.ownership"),
        ("baton-notifications", "issues.ownership"),
        ("baton-notifications", "issues.reported"),
        ("baton-ownership", "issues.routed"),
        ("baton-routing", "issues.reported"),
        ("baton-workspace", "issues.ownership"),
        ("baton-workspace", "issues.reported"),
        ("baton-workspace", "issues.routed"),
        ("baton-workspace", "notifications.deliveries"),
    ]

    def handled_by(spans):
        """Who consumed which topic (an event type per topic may come several times:
        the owner's assignment and its clocks)."""
        return sorted(
            {
                (s.service, s.attributes["messaging.destination.name"].split(".", 1)[1])
                for s in spans
                if s.kind == "CONSUMER"
            }
        )

    async def all_consumers_exported():
        spans = spans_of_issue()
        sent = any(s.name == "deliver email" for s in spans)
        return (sent and handled_by(spans) == expected) or None

    await eventually(all_consumers_exported, what="every consumer's spans, and the send")

    issue_spans = spans_of_issue()
    trace_ids = {s.trace_id for s in issue_spans}
    assert len(trace_ids) == 1, f"the issue's spans are spread over {len(trace_ids)} traces"
    [trace_id] = trace_ids
    trace = [s for s in stack.otlp.snapshot() if s.trace_id == trace_id]
    assert {s.service for s in trace} >= SERVICES

    by_id = {s.span_id: s for s in trace}
    consumers = [s for s in trace if s.kind == "CONSUMER"]
    assert handled_by(consumers) == expected
    for consumer in consumers:
        parent = by_id.get(consumer.parent_span_id)
        assert parent is not None, f"{consumer.name} in {consumer.service} has no parent here"
        assert parent.kind == "PRODUCER"
        topic = consumer.attributes["messaging.destination.name"]
        assert parent.attributes["messaging.destination.name"] == topic
        assert parent.service != consumer.service

    # The email is sent later, by the dispatcher, and still joins the issue's trace.
    [deliver] = [s for s in trace if s.name == "deliver email"]
    assert deliver.kind == "CLIENT" and deliver.attributes["baton.outcome"] == "sent"
    assert by_id[deliver.parent_span_id].name.endswith("issues.ownership")

    # The trace starts at intake's HTTP request: it is the root.
    roots = [s for s in trace if not s.parent_span_id]
    assert [(r.service, r.kind) for r in roots] == [("baton-intake", "SERVER")]
    # One span for the request, not one more per ASGI message it received or sent.
    asgi = [s.name for s in trace if s.name.endswith((" http send", " http receive"))]
    assert asgi == []


async def test_span_attributes_carry_ids_not_personal_data(stack, http):
    secret = "Zanzibar-7731"
    issue_id = await report(stack, http, f"Refund please {secret}", f"My name is {secret}")
    owner = await owner_of(stack, http, issue_id)

    async def notification_span():
        return [
            s
            for s in stack.otlp.snapshot()
            if s.attributes.get("baton.issue_id") == issue_id and s.service == "baton-notifications"
        ] or None

    await eventually(notification_span, what="the notification span")
    trace_id = (await notification_span())[0].trace_id
    for span in (s for s in stack.otlp.snapshot() if s.trace_id == trace_id):
        for value in span.attributes.values():
            assert secret not in str(value)
            assert owner["owner"]["email"] not in str(value)
