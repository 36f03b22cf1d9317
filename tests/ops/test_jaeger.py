"""The demo sending OTLP straight to Jaeger v2, a traces-only backend.

Straight to Jaeger is how many users start: OTEL_EXPORTER_OTLP_ENDPOINT at Jaeger and
nothing else. Jaeger takes traces only, so metrics are refused every export interval;
the log must say so once, not every interval (otel_agents.export.otlp_signals).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jaeger_harness
import pytest
from jaeger_harness import Jaeger

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(jaeger_harness.JAEGER_BUILD_TIMEOUT_S + 300),
]

METRICS_FAILED = "Failed to export metrics"
OUR_WARNING = "further failures are not logged"


def _traces(jaeger: Jaeger, service: str) -> list[dict[str, Any]]:
    return jaeger_harness.wait_for_traces(jaeger, service, 6)


@pytest.fixture(scope="module")
def demo_in_jaeger(jaeger: Jaeger, tmp_path_factory: pytest.TempPathFactory) -> str:
    """stderr of a demo run sent straight to Jaeger with only the shared endpoint set."""
    return jaeger_harness.run_demo(jaeger, tmp_path_factory.mktemp("demo-direct"), "direct-demo")


def test_straight_to_jaeger_the_traces_arrive(demo_in_jaeger: str, jaeger: Jaeger) -> None:
    traces = _traces(jaeger, "direct-demo")
    names = {span["operationName"] for trace in traces for span in trace["spans"]}
    assert {"invoke_agent planner", "invoke_agent writer", "execute_tool web_search"} <= names


def test_a_refused_metrics_signal_is_reported_once(demo_in_jaeger: str) -> None:
    # Without the guard, each of a dozen exports logs its own 404.
    assert demo_in_jaeger.count(METRICS_FAILED) == 1, demo_in_jaeger
    assert "404" in demo_in_jaeger
    assert demo_in_jaeger.count(OUR_WARNING) == 1
    assert "OTEL_METRICS_EXPORTER=none" in demo_in_jaeger


def test_metrics_exporter_none_sends_no_metrics(jaeger: Jaeger, tmp_path: Path) -> None:
    stderr = jaeger_harness.run_demo(
        jaeger, tmp_path, "no-metrics-demo", OTEL_METRICS_EXPORTER="none"
    )
    assert METRICS_FAILED not in stderr and OUR_WARNING not in stderr, stderr
    assert _traces(jaeger, "no-metrics-demo")


def test_metrics_follow_their_own_endpoint(jaeger: Jaeger, tmp_path: Path) -> None:
    """Metrics to a Collector-like OTLP receiver, traces still to Jaeger."""
    received: list[Any] = []
    server = _metrics_receiver(received)
    try:
        stderr = jaeger_harness.run_demo(
            jaeger,
            tmp_path,
            "split-demo",
            OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"http://127.0.0.1:{server.server_port}/v1/metrics",
        )
    finally:
        server.shutdown()
    assert METRICS_FAILED not in stderr, stderr
    assert received, "no metrics reached the metrics endpoint"
    assert _traces(jaeger, "split-demo")


def _metrics_receiver(received: list[Any]) -> Any:
    """A minimal OTLP/HTTP metrics endpoint on 127.0.0.1 that keeps every request."""
    import http.server
    import threading

    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
        ExportMetricsServiceResponse,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportMetricsServiceRequest()
            request.ParseFromString(body)
            received.append(request)
            payload = ExportMetricsServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_every_listener_in_the_config_defaults_to_loopback() -> None:
    import re

    import yaml

    text = jaeger_harness.JAEGER_CONFIG.read_text(encoding="utf-8")
    ports: dict[str, int] = {}
    jaeger_harness.rebind_listeners(yaml.safe_load(text), ports)
    assert len(ports) == 6, ports  # OTLP gRPC + HTTP, query HTTP + gRPC, health, metrics
    hosts = re.findall(r"(?:endpoint|host): (\S+?)(?::\d+)?$", text, re.MULTILINE)
    assert len(hosts) == len(ports)
    assert set(hosts) == {"${env:JAEGER_LISTEN_HOST:-127.0.0.1}"}, hosts
