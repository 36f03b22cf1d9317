"""MonitorState: counting, in-flight tracking, filters, trends and bounded memory."""

from __future__ import annotations

import json

from otel_agents.monitor import state as state_module
from otel_agents.monitor.state import MonitorFilter, MonitorState
from tests.monitor import _events


def test_finished_events_update_counts_and_success_rate() -> None:
    state = MonitorState()
    for status in ("SUCCESS", "SUCCESS", "SUCCESS", "FAILURE"):
        state.ingest(_events.outcome("planner", status, total_tokens=100, cost_usd=0.01))
    assert state.outcomes == 4
    assert state.success_rate == 0.75
    stats = state.agents["planner"]
    assert (stats.calls, stats.tokens, round(stats.cost_usd, 4)) == (4, 400, 0.04)
    assert stats.p95_ms == 1250.0


def test_malformed_and_foreign_messages_are_counted_never_raised() -> None:
    state = MonitorState()
    garbage = [
        b"",
        b"\xff\xfe not json",
        b'{"half": ',
        b"[1, 2, 3]",
        json.dumps({"type": "com.example.order", "data": {"id": 1}}).encode(),
        json.dumps({"type": "otel_agents.outcome.v1", "data": {"no": "ids"}}).encode(),
        _events.outcome("planner", duration_ms="slow", total_tokens={"a": 1}, events="x"),
    ]
    for payload in garbage:
        state.ingest(payload)
    state.ingest(None)
    assert state.foreign == 2
    assert state.malformed + state.outcomes == 6  # the odd-typed event is still counted
    assert state.messages == 8


def test_unknown_fields_are_ignored() -> None:
    state = MonitorState()
    state.ingest(_events.outcome("planner", future_field={"nested": [1, 2]}, another=7))
    assert state.outcomes == 1
    assert state.malformed == 0


def test_pending_event_is_in_flight_until_its_final_event() -> None:
    state = MonitorState(slow_after_s=0.0)
    pending = _events.outcome("deep-research", "PENDING", trace_id="a" * 32, span_id="b" * 16)
    state.ingest(pending)
    assert state.in_flight_agents == 1
    assert state.summary()["slow"] == 1
    state.ingest(_events.outcome("deep-research", "SUCCESS", trace_id="a" * 32, span_id="b" * 16))
    assert state.in_flight_agents == 0
    assert state.agents["deep-research"].calls == 1


def test_filters_keep_only_matching_events() -> None:
    state = MonitorState(
        MonitorFilter(agent="coder", workflow="release", statuses=frozenset({"FAILURE"}))
    )
    state.ingest(_events.outcome("coder", "FAILURE", workflow_name="release"))
    state.ingest(_events.outcome("coder", "SUCCESS", workflow_name="release"))
    state.ingest(_events.outcome("coder", "FAILURE", workflow_name="other"))
    state.ingest(_events.outcome("planner", "FAILURE", workflow_name="release"))
    assert state.outcomes == 1
    assert state.filtered == 3


def test_feedback_naming_only_the_event_is_attributed_to_its_agent() -> None:
    state = MonitorState()
    payload = _events.outcome("planner")
    state.ingest(payload)
    event_id = _events.event_id_of(payload)
    state.ingest(_events.feedback(event_id, "positive"))
    state.ingest(_events.feedback(event_id, "negative", comment="Wrong  Invoice"))
    stats = state.agents["planner"]
    assert stats.positive_rate == 0.5
    assert stats.reasons.most_common(1) == [("wrong invoice", 1)]
    assert state.feedback_count == 2


def test_trends_follow_reward_quality_and_success() -> None:
    state = MonitorState(window=10)
    for i in range(40):
        progress = i / 40
        state.ingest(_events.outcome("learner", reward=progress, quality_score=progress))
        state.ingest(_events.outcome("forgetter", reward=1 - progress, quality_score=1 - progress))
        state.ingest(_events.outcome("steady", reward=0.5, quality_score=0.8))
    assert state.agents["learner"].trend.direction == "improving"
    assert state.agents["forgetter"].trend.direction == "declining"
    assert state.agents["steady"].trend.direction == "steady"
    assert len(state.agents["learner"].spark_values()) == 4


def test_memory_stays_bounded_whatever_the_stream() -> None:
    state = MonitorState(window=5)
    for i in range(state_module.MAX_AGENTS + 300):
        state.ingest(_events.outcome(f"agent-{i}", "PENDING"))
        state.ingest(_events.outcome(f"agent-{i}", "FAILURE", error_type=f"E{i}"))
        state.ingest(_events.thought("thinker", f"thought {i}"))
    for i in range(state_module.MAX_REASONS + 50):
        state.ingest(_events.feedback("x", "negative", agent="thinker", comment=f"reason {i}"))
    assert len(state.agents) == state_module.MAX_AGENTS
    assert len(state.recent) == state_module.RECENT_ACTIONS
    assert len(state.thoughts) == state_module.RECENT_THOUGHTS
    assert len(state.in_flight) <= state_module.MAX_IN_FLIGHT
    assert len(state.agents["thinker"].reasons) == state_module.MAX_REASONS
    assert len(state.agents["thinker"].samples) <= 2 * state.window


def test_feedback_arriving_before_its_outcome_is_attributed_when_the_outcome_comes() -> None:
    state = MonitorState()
    payload = _events.outcome("writer")
    state.ingest(_events.feedback(_events.event_id_of(payload), "positive"))
    assert "writer" not in state.agents
    state.ingest(payload)
    assert state.agents["writer"].feedback["positive"] == 1
