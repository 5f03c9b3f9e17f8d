"""Baton's metrics, through the OpenTelemetry metrics API (exported as the
``OTEL_METRICS_EXPORTER`` setting says: a Prometheus ``/metrics`` endpoint on
each service's port by default, OTLP, console or none).

Labels carry ids of things (topics, event types, departments, channels), never
personal data. What each metric means for an alert: ``docs/runbook.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Observation

TOPIC = "messaging.destination.name"
PARTITION = "messaging.destination.partition.id"
GROUP = "messaging.consumer.group.name"
OUTCOME = "baton.outcome"
EVENT_TYPE = "baton.event_type"
DEPARTMENT = "baton.department"
CHANNEL = "baton.channel"
SERVICE = "baton.service"
PURGE = "baton.retention.purge"

# Services make their own instruments from the same meter, through the factories below.
meter = metrics.get_meter("baton")

# For durations in seconds (the SDK's default buckets are meant for milliseconds).
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

Observe = Callable[[CallbackOptions], Iterable[Observation]]


def counter(name: str, unit: str, description: str) -> Counter:
    return meter.create_counter(name, unit=unit, description=description)


def histogram(name: str, description: str, buckets: Sequence[float] = SECONDS_BUCKETS) -> Histogram:
    """A histogram of durations, in seconds."""
    return meter.create_histogram(
        name, unit="s", description=description, explicit_bucket_boundaries_advisory=buckets
    )


def gauge(
    name: str,
    unit: str,
    description: str,
    values: Callable[[], Mapping[tuple[Any, ...], float]],
    labels: tuple[str, ...],
) -> Observe:
    """An observed gauge reporting each value ``values()`` holds, labelled by the parts
    of its key in the order ``labels`` names them. ``values`` is called at each export,
    so its owner may swap the dict whole meanwhile. Returns the callback (tests read it)."""

    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        for key, value in list(values().items()):
            yield Observation(value, dict(zip(labels, map(str, key), strict=True)))

    meter.create_observable_gauge(name, callbacks=[observe], unit=unit, description=description)
    return observe


messages_handled = counter(
    "baton.messages.handled",
    "{message}",
    "Messages a consumer is done with: handled, or dead_lettered (sent to the DLQ).",
)
handling_duration = histogram(
    "baton.message.handling.duration",
    "Time from taking a message to being done with it, retries included.",
)
handler_retries = counter(
    "baton.message.retries", "{attempt}", "Handler attempts that failed and were tried again."
)
events_published = counter(
    "baton.events.published",
    "{event}",
    "Events the outbox relay published (after their transaction committed), "
    "by topic, type and, when the event names one, department.",
)

retention_deleted = counter(
    "baton.retention.deleted",
    "{row}",
    "Bookkeeping rows deleted as past their retention, by purge (table).",
)
retention_failures = counter(
    "baton.retention.failures", "{run}", "Purges that failed; the table is tried again next run."
)


@dataclass
class _Gauges:
    """Latest values of the observed gauges; the exporters read them."""

    lag: dict[tuple[str, str, int], int] = field(default_factory=dict)
    # (service,) -> committed events not yet published, and the oldest one's age in seconds.
    outbox_pending: dict[tuple[str], int] = field(default_factory=dict)
    outbox_age_s: dict[tuple[str], float] = field(default_factory=dict)
    # (group, topic) -> 1 while this process's consumer loop (one for all its topics)
    # runs, 0 once it stopped.
    consumers: dict[tuple[str, str], int] = field(default_factory=dict)


gauges = _Gauges()

gauge(
    "baton.consumer.loops",
    "{loop}",
    "This process's consumer loop (one for all the topics it reads), per topic: 1 "
    "while it runs, 0 once it stopped (a crash; /readyz then fails too). Refreshed every 15 s.",
    lambda: gauges.consumers,
    (GROUP, TOPIC),
)
gauge(
    "baton.consumer.lag",
    "{message}",
    "Messages on a partition this consumer has yet to handle (refreshed every 15 s).",
    lambda: gauges.lag,
    (GROUP, TOPIC, PARTITION),
)
outbox_pending = gauge(
    "baton.outbox.pending",
    "{event}",
    "Committed events not yet published to Kafka.",
    lambda: gauges.outbox_pending,
    (SERVICE,),
)
outbox_age = gauge(
    "baton.outbox.oldest_pending_age",
    "s",
    "Age of the oldest committed event not yet published (0 when none).",
    lambda: gauges.outbox_age_s,
    (SERVICE,),
)
