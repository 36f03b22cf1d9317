"""Outcomes survive trace sampling: 10% of traces reach the span exporter, 100% reach Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    Decision,
    ParentBased,
    TraceIdRatioBased,
)

import otel_agents as oa
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export.sampling import OutcomeSampler
from tests.kafka.broker import read_topic


def test_sampler_records_outcome_spans_it_would_drop() -> None:
    sampler = OutcomeSampler(ALWAYS_OFF)
    agent = sampler.should_sample(
        None, 1, "invoke_agent a", attributes={"gen_ai.operation.name": "invoke_agent"}
    )
    # LLM spans are recorded too, so their tokens roll up into an unsampled run's event.
    llm = sampler.should_sample(None, 1, "chat gpt", attributes={"gen_ai.operation.name": "chat"})
    other = sampler.should_sample(None, 1, "GET /", attributes={"http.request.method": "GET"})
    assert agent.decision is Decision.RECORD_ONLY
    assert llm.decision is Decision.RECORD_ONLY
    assert other.decision is Decision.DROP


@pytest.mark.integration
def test_ten_percent_trace_sampling_keeps_every_outcome(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    provider.add_span_processor(SimpleSpanProcessor(spans))
    oa.configure(
        tracer_provider=provider,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic=kafka_topic,
        spool_dir=tmp_path / "spool",
    )
    try:

        @oa.tool
        def lookup(i: int) -> int:
            return i

        @oa.agent
        def planner(i: int) -> int:
            return lookup(i)

        for i in range(1000):
            planner(i)
    finally:
        oa.shutdown()

    messages = read_topic(kafka_bootstrap, kafka_topic, expect=2000)
    ids = {OutcomeEvent.from_json_bytes(m.value()).event_id for m in messages}
    assert len(ids) == 2000
    exported = spans.get_finished_spans()
    assert all(s.context.trace_flags.sampled for s in exported)
    traces = {s.context.trace_id for s in exported}
    assert 50 <= len(traces) <= 170, len(traces)  # ~10% of 1000 traces
    assert len(exported) == 2 * len(traces)  # sampled traces stay whole
