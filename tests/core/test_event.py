"""OutcomeEvent v1: schema validity, deterministic ids, JSON safety and size limits."""

from __future__ import annotations

import json
import math

import orjson
import pytest

import otel_agents as oa
from otel_agents import semconv
from otel_agents.events.outcome import OutcomeEvent, event_id_for, is_outcome_span


def _run_mixed_workload():
    @oa.tool(capture_content=True)
    def search(q):
        oa.record(tool_call_id="call-1")
        return [q, b"\x00raw", math.nan]

    @oa.agent(agent_id="a-1", version="2", model="m", provider="openai")
    def researcher(q):
        oa.record(
            input_tokens=10,
            output_tokens=5,
            cost_usd=0.01,
            quality_score=0.9,
            reward=1.0,
            confidence_score=0.5,
            retry_count=1,
            conversation_id="c-1",
            metadata={"nested": {"a": [1, 2, {"b": None}]}, "n": math.inf},
        )
        oa.thought("thinking")
        oa.evaluation("helpfulness", score=0.4)
        return search(q)

    @oa.agent
    def crasher():
        raise RuntimeError("boom")

    with oa.workflow("wf", correlation_id="corr"):
        researcher("q")
        with pytest.raises(RuntimeError):
            crasher()


def test_every_event_validates_against_the_published_schema(traced, outcome_schema_validator):
    _run_mixed_workload()
    events = traced.events()
    assert {e.kind for e in events} == {"agent", "tool", "workflow"}
    for event in events:
        document = json.loads(event.to_json_bytes())
        outcome_schema_validator.validate(document)
        assert document["id"] == event.event_id
        assert document["data"]["schema_version"] == "1.0"
        assert document["traceparent"] == event.traceparent


def test_event_has_thirty_plus_fields_all_from_the_span(traced):
    _run_mixed_workload()
    researcher = traced.events(agent="researcher")[-1]
    data = researcher.data()
    assert len(data) >= 30
    assert data["agent_id"] == "a-1" and data["agent_version"] == "2"
    assert data["model"] == "m" and data["provider"] == "openai"
    assert data["conversation_id"] == "c-1" and data["correlation_id"] == "corr"
    assert data["retry_count"] == 1 and data["cost_usd"] == 0.01
    assert data["metadata"]["nested"] == '{"a":[1,2,{"b":null}]}'
    assert data["resource"]["service_name"] == "test-service"
    assert data["duration_ms"] > 0 and data["start_time"].endswith("Z")


def test_event_id_is_deterministic_per_span_and_event_type(traced):
    @oa.agent
    def one():
        return 1

    one()
    span = traced.span("invoke_agent one")
    first = OutcomeEvent.from_span(span)
    again = OutcomeEvent.from_span(span)
    assert first.event_id == again.event_id
    ctx = span.context
    assert first.event_id == event_id_for(ctx.trace_id, ctx.span_id)
    assert event_id_for(ctx.trace_id, ctx.span_id, "pending") != first.event_id


def test_event_roundtrips_through_json(traced):
    _run_mixed_workload()
    for event in traced.events():
        assert OutcomeEvent.from_json_bytes(event.to_json_bytes()) == event


def test_unknown_fields_are_ignored_when_reading(traced):
    @oa.agent
    def one():
        return 1

    one()
    document = json.loads(traced.events()[-1].to_json_bytes())
    document["data"]["added_in_v1_7"] = {"x": 1}
    document["extension"] = "y"
    assert OutcomeEvent.from_dict(document).name == "one"


def test_oversized_events_are_truncated_with_a_marker_to_fit(traced, outcome_schema_validator):
    @oa.agent(capture_content=True)
    def verbose(text):
        for i in range(200):
            oa.thought(f"{i}: " + "t" * 2000)
        oa.record(metadata={f"k{i}": "v" * 3000 for i in range(100)})
        raise ValueError("e" * 50_000)

    with pytest.raises(ValueError):
        verbose("i" * 100_000)
    event = traced.events()[-1]
    full = event.to_json_bytes()
    assert len(full) > 200_000
    small = event.to_json_bytes(max_bytes=100_000)
    assert len(small) <= 100_000
    document = orjson.loads(small)
    outcome_schema_validator.validate(document)
    assert document["data"]["event_id"] == event.event_id
    assert "truncated" in small.decode()


def test_non_agent_spans_are_not_outcomes(traced):
    from opentelemetry import trace

    with trace.get_tracer("x").start_as_current_span("plain"):
        pass

    @oa.agent
    def a():
        return 1

    a()
    spans = traced.spans()
    assert [is_outcome_span(s) for s in spans] == [False, True] or len(spans) == 1
    assert [e.name for e in traced.events()] == ["a"]
    assert traced.events()[-1].operation == semconv.OPERATION_INVOKE_AGENT


def test_the_outcome_log_holds_one_json_line_per_event(traced, outcome_schema_validator):
    _run_mixed_workload()
    oa.force_flush()
    lines = traced.log.read_text().splitlines()
    assert len(lines) == len(traced.events())
    for line in lines:
        outcome_schema_validator.validate(json.loads(line))
