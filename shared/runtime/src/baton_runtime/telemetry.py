"""OpenTelemetry set-up, configured only by the standard ``OTEL_*`` variables.

``OTEL_TRACES_EXPORTER`` picks the span exporter: ``otlp`` (endpoint and protocol
from ``OTEL_EXPORTER_OTLP_*``), ``console``, or ``none`` (the default: spans are
still made and propagated, just not exported). ``OTEL_METRICS_EXPORTER`` picks the
metric exporters: ``prometheus`` (the default: ``GET /metrics`` on the service's
port), ``otlp``, ``console`` or ``none``; several may be given, comma-separated.
``OTEL_SERVICE_NAME`` names the service.
"""

from __future__ import annotations

import os

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

_provider: TracerProvider | None = None
_meter_provider: MeterProvider | None = None


def _names(variable: str, default: str) -> list[str]:
    return [n.strip().lower() for n in os.environ.get(variable, default).split(",")]


def _otlp_protocol(signal: str) -> None:
    protocol = os.environ.get(
        f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL",
        os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    )
    if protocol != "http/protobuf":
        raise ValueError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported: use http/protobuf"
        )


# The FastAPI instrumentation labels its HTTP metrics with the request's Host
# header, among others: anyone could then mint new series. Keep only the method,
# the route template and the status.
_BOUNDED_HTTP_LABELS = [
    View(
        instrument_name="http.server.*",
        attribute_keys={
            "http.method", "http.target", "http.status_code",  # the old conventions
            "http.request.method", "http.route", "http.response.status_code",  # the new
        },
    )
]  # fmt: skip


def metrics_enabled() -> bool:
    return any(n not in ("none", "") for n in _names("OTEL_METRICS_EXPORTER", "prometheus"))


def prometheus_enabled() -> bool:
    return "prometheus" in _names("OTEL_METRICS_EXPORTER", "prometheus")


def _metric_readers() -> list[MetricReader]:
    readers: list[MetricReader] = []
    for name in _names("OTEL_METRICS_EXPORTER", "prometheus"):
        if name == "prometheus":
            from opentelemetry.exporter.prometheus import PrometheusMetricReader

            readers.append(PrometheusMetricReader())
        elif name == "otlp":
            _otlp_protocol("METRICS")
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )

            # The export interval is OTEL_METRIC_EXPORT_INTERVAL (ms, 60 s by default).
            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        elif name == "console":
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        elif name not in ("none", ""):
            raise ValueError(
                f"OTEL_METRICS_EXPORTER={name!r} is not supported: prometheus, otlp, console, none"
            )
    return readers


def _exporters() -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    for name in _names("OTEL_TRACES_EXPORTER", "none"):
        if name == "otlp":
            _otlp_protocol("TRACES")
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name not in ("none", ""):
            raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported: otlp, console, none")
    return exporters


def setup_telemetry(default_service_name: str) -> TracerProvider:
    """Install the global tracer and meter providers once per process."""
    global _provider, _meter_provider
    if _provider is not None:
        return _provider
    name = os.environ.get("OTEL_SERVICE_NAME", default_service_name)
    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES.
    resource = Resource.create({SERVICE_NAME: name})
    provider = TracerProvider(resource=resource)
    for exporter in _exporters():
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _meter_provider = MeterProvider(
        resource=resource, metric_readers=_metric_readers(), views=_BOUNDED_HTTP_LABELS
    )
    metrics.set_meter_provider(_meter_provider)
    _provider = provider
    return provider


def shutdown_telemetry() -> None:
    if _provider is not None:
        _provider.shutdown()
    if _meter_provider is not None:
        # Export the last values; the provider itself lives until the process
        # exits (the SDK shuts it down then), so /metrics keeps answering.
        _meter_provider.force_flush()


_tracer: tuple[trace.TracerProvider, trace.Tracer] | None = None


def tracer() -> trace.Tracer:
    """Baton's tracer, from the provider set now. Kept while that provider is: the
    SDK's ``get_tracer`` builds and compares an instrumentation scope on every call,
    and this runs for every span."""
    global _tracer
    provider = trace.get_tracer_provider()
    if _tracer is None or _tracer[0] is not provider:
        _tracer = (provider, provider.get_tracer("baton"))
    return _tracer[1]
