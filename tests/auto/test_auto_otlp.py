"""Exporters chosen by the standard OTEL_* env reach a real (local) OTLP/HTTP receiver."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from conftest import RunApp
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class _Receiver(http.server.BaseHTTPRequestHandler):
    spans: list[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(span.name for span in scope_spans.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[str]]]:
    spans: list[str] = []
    handler = type("Handler", (_Receiver,), {"spans": spans})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", spans
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("exporters", ["otlp", ""])
def test_spans_reach_otlp_with_and_without_traces_exporter_env(
    run_app: RunApp, otlp_receiver: tuple[str, list[str]], exporters: str
) -> None:
    endpoint, received = otlp_receiver
    app = run_app(
        env={
            "OTEL_AGENTS_AUTO_INSTRUMENT": "true",
            "OTEL_AGENTS_TARGETS": "shop.agents:*Agent.execute",
            "OTEL_TRACES_EXPORTER": exporters,
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        }
    )
    assert app.returncode == 0, app.stderr
    assert sorted(received) == [
        "invoke_agent AsyncResearchAgent",
        "invoke_agent PlannerAgent",
        "invoke_agent ReportAgent",
    ]
    assert app.event("PlannerAgent")["status"] == "SUCCESS"  # the outcome log as well
