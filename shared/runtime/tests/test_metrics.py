"""The instrument factories every service builds its metrics with."""

from __future__ import annotations

from baton_runtime import metrics
from opentelemetry.metrics import CallbackOptions


def observed(callback: metrics.Observe) -> dict[frozenset, float]:
    return {frozenset(o.attributes.items()): o.value for o in callback(CallbackOptions())}


def test_a_gauge_labels_each_value_by_its_key_and_reads_the_dict_swapped_in_last():
    holder = {"values": {("g", "t", 3): 7}}
    lag = metrics.gauge(
        "baton.test.lag",
        "{message}",
        "Test only.",
        lambda: holder["values"],
        (metrics.GROUP, metrics.TOPIC, metrics.PARTITION),
    )
    assert observed(lag) == {
        frozenset({metrics.GROUP: "g", metrics.TOPIC: "t", metrics.PARTITION: "3"}.items()): 7
    }
    holder["values"] = {}  # swapped whole, as the consumer does
    assert observed(lag) == {}


def test_the_outbox_gauges_report_per_service():
    metrics.gauges.outbox_pending[("svc",)] = 4
    metrics.gauges.outbox_age_s[("svc",)] = 2.5
    try:
        assert observed(metrics.outbox_pending)[frozenset({metrics.SERVICE: "svc"}.items())] == 4
        assert observed(metrics.outbox_age)[frozenset({metrics.SERVICE: "svc"}.items())] == 2.5
    finally:
        metrics.gauges.outbox_pending.pop(("svc",))
        metrics.gauges.outbox_age_s.pop(("svc",))
