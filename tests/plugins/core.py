"""Fixtures of the core: a configured otel-agents with an in-memory span exporter."""

from __future__ import annotations

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
from otel_agents._state import RUNTIME


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
def traced(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Traced]:
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
    # Telemetry swallows its own failures (never into agent code); a test must not.
    counted = RUNTIME.internal_errors - errors_before
    if counted and request.node.get_closest_marker("internal_errors") is None:
        pytest.fail(
            f"telemetry counted {counted} internal error(s) (see the log above); mark the "
            "test @pytest.mark.internal_errors if it causes them on purpose"
        )


@pytest.fixture(scope="session")
def outcome_schema_validator() -> jsonschema.protocols.Validator:
    schema = oa.load_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
