"""Which exporters the standard OTEL_* variables select."""

from __future__ import annotations

import pytest
from baton_runtime import telemetry
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader


def test_metrics_are_served_for_prometheus_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("OTEL_METRICS_EXPORTER", raising=False)
    assert telemetry.prometheus_enabled()
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    assert not telemetry.prometheus_enabled()
    assert telemetry._metric_readers() == []


def test_otlp_and_prometheus_together(monkeypatch):
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp, prometheus")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    readers = telemetry._metric_readers()
    assert {type(r) for r in readers} == {PeriodicExportingMetricReader, PrometheusMetricReader}
    for reader in readers:
        if isinstance(reader, PrometheusMetricReader):
            reader.shutdown()  # leaves the process-wide Prometheus registry as it was


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OTEL_METRICS_EXPORTER", "statsd", "prometheus, otlp, console, none"),
        ("OTEL_TRACES_EXPORTER", "jaeger", "otlp, console, none"),
    ],
)
def test_an_unknown_exporter_is_refused_with_the_choices(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        telemetry._metric_readers() if "METRICS" in variable else telemetry._exporters()


def test_otlp_metrics_over_grpc_are_refused(monkeypatch):
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc")
    with pytest.raises(ValueError, match="http/protobuf"):
        telemetry._metric_readers()
