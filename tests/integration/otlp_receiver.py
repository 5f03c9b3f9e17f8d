"""A real OTLP/HTTP trace receiver: the services export their spans to it exactly
as they would to a collector (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``)."""

from __future__ import annotations

import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, object] = field(hash=False)
    # Each span event as (name, attributes): an exception's message, for one.
    events: tuple[tuple[str, dict[str, object]], ...] = field(default=(), hash=False)


def _value(v) -> object:  # an OTLP AnyValue
    return getattr(v, v.WhichOneof("value")) if v.WhichOneof("value") else None


class OtlpReceiver:
    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver._add(request)
                receiver._forward(body, self.headers.get("Content-Type", ""))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        # Where every export is also sent as it came (``forward_to``): a real collector.
        self.forwarded_to: str | None = None
        self.forward_failures = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}/v1/traces"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _add(self, request: ExportTraceServiceRequest) -> None:
        spans = []
        for resource_spans in request.resource_spans:
            attrs = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            service = str(attrs.get("service.name", ""))
            for scope_spans in resource_spans.scope_spans:
                for s in scope_spans.spans:
                    spans.append(
                        Span(
                            service=service,
                            name=s.name,
                            kind=PbSpan.SpanKind.Name(s.kind).removeprefix("SPAN_KIND_"),
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_span_id=s.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in s.attributes},
                            events=tuple(
                                (e.name, {a.key: _value(a.value) for a in e.attributes})
                                for e in s.events
                            ),
                        )
                    )
        with self._lock:
            self.spans.extend(spans)

    def forward_to(self, endpoint: str | None) -> None:
        """Send every export from now on, byte for byte, to ``endpoint`` as well
        (None: stop): the services' own spans reach a collector under test."""
        self.forwarded_to = endpoint

    def _forward(self, body: bytes, content_type: str) -> None:
        endpoint = self.forwarded_to
        if endpoint is None:
            return
        request = urllib.request.Request(
            endpoint, data=body, headers={"Content-Type": content_type}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except OSError:
            self.forward_failures += 1

    def snapshot(self) -> list[Span]:
        with self._lock:
            return list(self.spans)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
