"""Shared pytest fixtures. Each component's fixtures live in its own marked block."""

from __future__ import annotations

# --- core instrumentation fixtures -------------------------------------------------
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_agents as oa
from otel_agents._runtime import RUNTIME


class Traced:
    """A configured otel-agents with an in-memory span exporter, for one test."""

    def __init__(self, exporter: InMemorySpanExporter, telemetry: oa.Telemetry, log: Path):
        self.exporter = exporter
        self.telemetry = telemetry
        self.log = log

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        matches = [s for s in self.spans() if s.name == name]
        assert len(matches) == 1, (
            f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        )
        return matches[0]

    def events(self, **query: Any) -> list[oa.OutcomeEvent]:
        query.setdefault("count", 10_000)
        return oa.recent_events(**query)


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "test-service"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    log = tmp_path / "outcomes.jsonl"
    telemetry = oa.configure(service_name="test-service", tracer_provider=provider, outcome_log=log)
    errors_before = RUNTIME.internal_errors
    try:
        yield Traced(exporter, telemetry, log)
    finally:
        oa.shutdown()
        provider.shutdown()
        RUNTIME.pre_hooks = ()
        RUNTIME.post_hooks = ()
        RUNTIME.capture_content = False
    del errors_before


@pytest.fixture(scope="session")
def outcome_schema_validator() -> jsonschema.protocols.Validator:
    schema = oa.load_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)


# --- end of core instrumentation fixtures ---------------------------------------------


# --- Kafka fixtures (issue 3) ------------------------------------------------------
# A real Apache Kafka broker: started from the official jars (Java 17 + Maven) or, when
# OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP is set, an existing broker (e.g. the compose file's).
# In CI (env CI set) a broker that cannot start is a failure, never a skip.
import contextlib  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402

from tests.kafka_broker import (  # noqa: E402
    BrokerUnavailable,
    KafkaBroker,
    create_topic,
    ensure_jars,
)


def _broker_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Kafka broker unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"Kafka broker unavailable: {reason}")


def pytest_collection_finish(session: pytest.Session) -> None:
    # Fetch the broker's jars (first run only) before any test starts, so a slow download
    # does not count against the first Kafka test's timeout. Errors surface in the fixtures.
    wanted = {"kafka_broker"}
    if not os.environ.get("OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP"):
        wanted.add("kafka_bootstrap")
    uses_kafka = any(wanted & set(getattr(item, "fixturenames", ())) for item in session.items)
    if uses_kafka:
        with contextlib.suppress(BrokerUnavailable, OSError, subprocess.SubprocessError):
            ensure_jars()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bootstrap.servers of a running broker shared by the whole session."""
    existing = os.environ.get("OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP")
    if existing:
        yield existing
        return
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka-session"))
    try:
        broker.start()
    except (BrokerUnavailable, OSError) as exc:
        broker.stop()
        _broker_unavailable(str(exc))
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def kafka_topic(kafka_bootstrap: str) -> str:
    """A fresh 3-partition topic on the session broker."""
    return create_topic(kafka_bootstrap, f"outcomes-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of the test's own, *not yet started*, that the test may kill and restart."""
    try:
        ensure_jars()
    except (BrokerUnavailable, OSError) as exc:
        _broker_unavailable(str(exc))
    broker = KafkaBroker(tmp_path / "kafka")
    try:
        yield broker
    finally:
        broker.stop()


# --- end of Kafka fixtures ------------------------------------------------------------


# --- operations fixtures (Collector, Prometheus, trace sink) -------------------------
# Real components on 127.0.0.1 for the tests under tests/ops. Where one cannot be built
# or started, a test skips on a developer's machine and FAILS when CI is set.
import os  # noqa: E402, F811 (also imported by the Kafka block; each block stands alone)
import sys  # noqa: E402

# ops_harness sits beside this file; importable whether or not tests/ is a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import ops_harness  # noqa: E402
from ops_harness import OpsStack  # noqa: E402


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
def ops_stack(otelcol_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsStack]:
    """Everything of the end-to-end test, started once per module and stopped after it."""
    workdir = tmp_path_factory.mktemp("ops-e2e")
    started: list[Any] = []
    try:
        traces = ops_harness.OtlpTraceSink()
        started.append(traces)
        collector = ops_harness.Collector(otelcol_binary, workdir, traces.endpoint)
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
        yield OpsStack(collector, prometheus, traces, demo)
    except ops_harness.ComponentUnavailable as exc:
        _unavailable(str(exc))
    finally:
        for component in reversed(started):
            component.stop()


# --- end of operations fixtures --------------------------------------------------------


# --- Spark fixtures (issue 14) -----------------------------------------------------------
# The analytics job runs on pyspark (the `spark` extra) with the Kafka connector's jars,
# fetched once with Maven into the test cache. Missing Java, Maven or pyspark: a skip on a
# developer's machine, a failure in CI.
from tests.spark_jars import JarsUnavailable, connector_jars  # noqa: E402


@pytest.fixture(scope="session")
def spark_connector_jars() -> list[str]:
    """Jar paths of spark-sql-kafka-0-10 and its runtime dependencies, for ``spark.jars``."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _unavailable("pyspark is not installed (pip install -e '.[spark]')")
    try:
        return connector_jars()
    except JarsUnavailable as exc:
        _unavailable(str(exc))
        raise


# --- end of Spark fixtures ---------------------------------------------------------------
