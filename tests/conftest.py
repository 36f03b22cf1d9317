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
import os  # noqa: E402
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
