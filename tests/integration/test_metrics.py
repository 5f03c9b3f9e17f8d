"""Each service's ``/metrics`` (Prometheus text, the default exporter) shows the
issues going through it: events published by department, messages handled
and dead-lettered, consumer lag, outbox backlog and HTTP latency."""

from __future__ import annotations

import uuid

import pytest
from baton_contracts.topics import ISSUES_REPORTED, ISSUES_ROUTED
from baton_runtime.metrics import SECONDS_BUCKETS
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import eventually
from tests.integration.test_issue_journey import mails_about, owner_of, report

pytestmark = pytest.mark.integration


async def samples(http, url: str) -> list:
    r = await http.get(f"{url}/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return [s for family in text_string_to_metric_families(r.text) for s in family.samples]


def total(found: list, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(s.value for s in found if s.name == name and labels.items() <= s.labels.items())


async def test_an_issues_journey_shows_in_every_services_metrics(stack, http):
    before = {s: await samples(http, stack.url(s)) for s in ("routing", "notifications")}
    issue_id = await report(stack, http, "Charged twice, I want a refund")
    owner = await owner_of(stack, http, issue_id)
    await mails_about(stack, issue_id, owner["owner"]["email"])

    # A caller's Host header must not become a label: nobody may mint series.
    await http.get(f"{stack.url('intake')}/v1/issues/nope", headers={"Host": "evil-7.example"})
    intake = await samples(http, stack.url("intake"))
    assert not [s for s in intake if "evil-7" in str(s.labels)]
    reported = {"messaging_destination_name": stack.topic(ISSUES_REPORTED)}
    assert total(intake, "baton_events_published_total", **reported) >= 1
    assert (
        total(intake, "http_server_duration_milliseconds_count", http_target="/v1/issues")
        + (total(intake, "http_server_request_duration_seconds_count", http_route="/v1/issues"))
        >= 1
    )

    async def routing_counted():
        now = await samples(http, stack.url("routing"))
        routed = {"messaging_destination_name": stack.topic(ISSUES_ROUTED)}
        finance = routed | {"baton_department": "finance"}
        went = total(now, "baton_events_published_total", **finance) - total(
            before["routing"], "baton_events_published_total", **finance
        )
        handled = {**reported, "baton_outcome": "handled"}
        took = total(now, "baton_messages_handled_total", **handled) - total(
            before["routing"], "baton_messages_handled_total", **handled
        )
        return now if went >= 1 and took >= 1 else None

    routing = await eventually(routing_counted, what="routing's counters to move")
    # The handling histogram, in seconds with the kernel's bounds, holds every message
    # routing is done with (however long each took: the machine's speed is no part of it).
    topic = reported["messaging_destination_name"]
    buckets = {
        float(s.labels["le"]): s.value
        for s in routing
        if s.name == "baton_message_handling_duration_seconds_bucket"
        and s.labels["messaging_destination_name"] == topic
    }
    assert sorted(buckets) == [*SECONDS_BUCKETS, float("inf")]
    counts = [buckets[le] for le in sorted(buckets)]
    assert counts == sorted(counts), "buckets are cumulative"
    # One scrape is one snapshot: each message done is one observation.
    done = total(routing, "baton_messages_handled_total", **reported)
    assert total(routing, "baton_message_handling_duration_seconds_count", **reported) == done
    assert buckets[float("inf")] == done >= 1

    ownership = await samples(http, stack.url("ownership"))
    lag = [
        s
        for s in ownership
        if s.name == "baton_consumer_lag"
        and s.labels["messaging_destination_name"] == stack.topic(ISSUES_ROUTED)
    ]
    assert lag and all(s.value >= 0 for s in lag)
    assert [s.value for s in ownership if s.name == "baton_outbox_pending"] != []

    sent = {"baton_channel": "email", "baton_outcome": "sent"}
    notifications = await samples(http, stack.url("notifications"))
    assert total(notifications, "baton_delivery_attempts_total", **sent) > total(
        before["notifications"], "baton_delivery_attempts_total", **sent
    )


async def test_a_dead_lettered_message_is_counted_as_such(stack, http, producer):
    def dead(found: list) -> float:
        return total(
            found,
            "baton_messages_handled_total",
            messaging_destination_name=stack.topic(ISSUES_ROUTED),
            baton_outcome="dead_lettered",
        )

    before = dead(await samples(http, stack.url("ownership")))
    await producer.send_raw(
        stack.topic(ISSUES_ROUTED), key=f"poison-{uuid.uuid4()}", value=b"not an event"
    )

    async def counted():
        return dead(await samples(http, stack.url("ownership"))) > before

    await eventually(counted, what="ownership to count the dead letter")
