"""Which exporters the standard OTEL_* variables select."""

from __future__ import annotations

import os
import subprocess
import sys

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


_SAMPLER = (
    "from baton_runtime.telemetry import setup_telemetry;"
    "print(setup_telemetry('baton-test').sampler.get_description())"
)


@pytest.mark.parametrize(
    ("settings", "sampler"),
    [
        ({}, "ParentBased{root:AlwaysOnSampler"),  # every issue's trace
        (
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
            "ParentBased{root:TraceIdRatioBased{0.1}",
        ),
    ],
)
def test_every_trace_is_kept_unless_otel_traces_sampler_says_otherwise(settings, sampler):
    # Its own process: the tracer provider is installed once per process.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | settings
    out = subprocess.run(
        [sys.executable, "-c", _SAMPLER], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith(sampler)
