"""Baton's metrics, through the OpenTelemetry metrics API (exported as the
``OTEL_METRICS_EXPORTER`` setting says: a Prometheus ``/metrics`` endpoint on
each service's port by default, OTLP, console or none).

Labels carry ids of things (topics, event types, departments, channels), never
personal data. What each metric means for an alert: ``docs/runbook.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

TOPIC = "messaging.destination.name"
PARTITION = "messaging.destination.partition.id"
GROUP = "messaging.consumer.group.name"
OUTCOME = "baton.outcome"
EVENT_TYPE = "baton.event_type"
DEPARTMENT = "baton.department"
CHANNEL = "baton.channel"
SERVICE = "baton.service"
PURGE = "baton.retention.purge"

# Services make their own instruments from the same meter (``meter``).
meter = metrics.get_meter("baton")
_meter = meter

# For durations in seconds (the SDK's default buckets are meant for milliseconds).
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

messages_handled = _meter.create_counter(
    "baton.messages.handled",
    unit="{message}",
    description="Messages a consumer is done with: handled, or dead_lettered (sent to the DLQ).",
)
handling_duration = _meter.create_histogram(
    "baton.message.handling.duration",
    unit="s",
    description="Time from taking a message to being done with it, retries included.",
    explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
)
handler_retries = _meter.create_counter(
    "baton.message.retries",
    unit="{attempt}",
    description="Handler attempts that failed and were tried again.",
)
events_published = _meter.create_counter(
    "baton.events.published",
    unit="{event}",
    description="Events the outbox relay published (after their transaction committed), "
    "by topic, type and, when the event names one, department.",
)

retention_deleted = _meter.create_counter(
    "baton.retention.deleted",
    unit="{row}",
    description="Bookkeeping rows deleted as past their retention, by purge (table).",
)
retention_failures = _meter.create_counter(
    "baton.retention.failures",
    unit="{run}",
    description="Purges that failed; the table is tried again next run.",
)


@dataclass
class _Gauges:
    """Latest values of the observed gauges; the exporters read them."""

    lag: dict[tuple[str, str, int], int] = field(default_factory=dict)
    outbox: dict[str, tuple[int, float]] = field(default_factory=dict)
    # (group, topic) -> 1 while this process's consumer loop runs, 0 once it stopped.
    consumers: dict[tuple[str, str], int] = field(default_factory=dict)


gauges = _Gauges()


def _observe_lag(_options: CallbackOptions) -> Iterable[Observation]:
    for (group, topic, partition), lag in list(gauges.lag.items()):
        yield Observation(lag, {GROUP: group, TOPIC: topic, PARTITION: str(partition)})


def _observe_outbox_pending(_options: CallbackOptions) -> Iterable[Observation]:
    for service, (pending, _) in list(gauges.outbox.items()):
        yield Observation(pending, {SERVICE: service})


def _observe_outbox_age(_options: CallbackOptions) -> Iterable[Observation]:
    for service, (_, age_s) in list(gauges.outbox.items()):
        yield Observation(age_s, {SERVICE: service})


def _observe_consumers(_options: CallbackOptions) -> Iterable[Observation]:
    for (group, topic), running in list(gauges.consumers.items()):
        yield Observation(running, {GROUP: group, TOPIC: topic})


_meter.create_observable_gauge(
    "baton.consumer.loops",
    callbacks=[_observe_consumers],
    unit="{loop}",
    description="Consumer loops running in this process, per topic: 1, or 0 once the loop "
    "stopped (a crash; /readyz then fails too). Refreshed every 15 s.",
)
_meter.create_observable_gauge(
    "baton.consumer.lag",
    callbacks=[_observe_lag],
    unit="{message}",
    description="Messages on a partition this consumer has yet to handle (refreshed every 15 s).",
)
_meter.create_observable_gauge(
    "baton.outbox.pending",
    callbacks=[_observe_outbox_pending],
    unit="{event}",
    description="Committed events not yet published to Kafka.",
)
_meter.create_observable_gauge(
    "baton.outbox.oldest_pending_age",
    callbacks=[_observe_outbox_age],
    unit="s",
    description="Age of the oldest committed event not yet published (0 when none).",
)
