"""Fixtures of the operations stack: Collector, Jaeger, Prometheus (real, on 127.0.0.1)."""

from __future__ import annotations

# Real components on 127.0.0.1 for the tests under tests/ops. Where one cannot be built
# or started, a test skips on a developer's machine and FAILS when CI is set.
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# ops_harness sits in tests/; the ops tests import it by its bare name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import jaeger_harness
import ops_harness
from ops_harness import OpsStack


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"required component unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def otelcol_binary() -> Path:
    """The Collector built from collector/builder-config.yaml (cached across runs)."""
    try:
        return ops_harness.build_collector()
    except ops_harness.ComponentUnavailable as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="session")
def jaeger_binary() -> Path:
    """Jaeger v2 built from jaeger/go.mod (cached across runs)."""
    try:
        return jaeger_harness.build_jaeger()
    except ops_harness.ComponentUnavailable as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="module")
def jaeger(
    jaeger_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[jaeger_harness.Jaeger]:
    """Jaeger v2 from jaeger/config.yaml on free 127.0.0.1 ports, stopped after the module."""
    try:
        server = jaeger_harness.Jaeger(jaeger_binary, tmp_path_factory.mktemp("jaeger"))
    except ops_harness.ComponentUnavailable as exc:
        _unavailable(str(exc))
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def system_tool() -> Any:
    """``system_tool("promtool")``: the path of an installed program, or skip/fail."""

    def find(name: str) -> str:
        try:
            return ops_harness.require_tool(name)
        except ops_harness.ComponentUnavailable as exc:
            _unavailable(str(exc))
            raise

    return find


@pytest.fixture
def trace_sink() -> Iterator[ops_harness.OtlpTraceSink]:
    sink = ops_harness.OtlpTraceSink()
    try:
        yield sink
    finally:
        sink.stop()


_DEMO = "import sys; from otel_agents.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def ops_stack(
    otelcol_binary: Path, jaeger_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpsStack]:
    """Everything of the end-to-end test, started once per module and stopped after it."""
    workdir = tmp_path_factory.mktemp("ops-e2e")
    started: list[Any] = []
    try:
        jaeger = jaeger_harness.Jaeger(jaeger_binary, workdir)
        started.append(jaeger)
        collector = ops_harness.Collector(otelcol_binary, workdir, jaeger.otlp_grpc_endpoint)
        started.append(collector)
        prometheus = ops_harness.Prometheus(
            workdir,
            {
                "otel-collector": f"127.0.0.1:{collector.prometheus_port}",
                "otel-collector-self": f"127.0.0.1:{collector.telemetry_port}",
            },
        )
        started.append(prometheus)
        env = {
            "OTEL_SERVICE_NAME": "agent-demo",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=e2e,service.version=0.1.0",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_grpc_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_AGENTS_OUTCOME_LOG": str(workdir / "outcomes.jsonl"),
        }
        # Nothing listens there: deliveries fail and events spool, which is what the Kafka
        # exporter's failure and spool alerts watch. Traffic stays on 127.0.0.1.
        env |= {
            "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ops_harness.free_port()}",
            "OTEL_AGENTS_KAFKA_SPOOL_DIR": str(workdir / "spool"),
            "OTEL_AGENTS_KAFKA_PRODUCER_MESSAGE_TIMEOUT_MS": "1000",
        }
        demo = ops_harness.Server(
            "demo",
            [sys.executable, "-c", _DEMO, "demo", "--loop", "--runs", "5", "--quiet"],
            workdir / "demo.log",
            env=env,
            cwd=workdir,
        )
        started.append(demo)
        yield OpsStack(collector, prometheus, jaeger, demo, workdir / "outcomes.jsonl")
    except ops_harness.ComponentUnavailable as exc:
        _unavailable(str(exc))
    finally:
        for component in reversed(started):
            component.stop()
