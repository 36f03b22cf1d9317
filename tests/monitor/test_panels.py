"""Each panel rendered on its own with rich's recording console."""

from __future__ import annotations

import pytest
from rich.console import Console, RenderableType

from otel_agents.monitor import panels
from otel_agents.monitor.state import MonitorState
from tests.monitor import _events


def _text(renderable: RenderableType, width: int = 140, height: int | None = None) -> str:
    console = Console(record=True, width=width, height=height, color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.fixture
def state() -> MonitorState:
    state = MonitorState(window=5, slow_after_s=0.0)
    for i in range(30):
        state.ingest(
            _events.outcome(
                "planner",
                "SUCCESS" if i % 10 else "FAILURE",
                total_tokens=1500,
                cost_usd=0.002,
                reward=i / 30,
                quality_score=0.5 + i / 60,
                error_type="ValueError" if i % 10 == 0 else None,
                action_type="planning",
            )
        )
    state.ingest(_events.outcome("search", kind="tool"))
    state.ingest(_events.outcome("search", "FAILURE", kind="tool"))
    state.ingest(_events.thought("planner", "the user wants a refund, not a voucher"))
    state.ingest(_events.outcome("deep-research", "PENDING"))
    payload = _events.outcome("planner")
    state.ingest(payload)
    state.ingest(_events.feedback(_events.event_id_of(payload), "negative", comment="too slow"))
    state.ingest(b"not json")
    return state


def test_header_shows_events_success_in_flight_and_rate(state: MonitorState) -> None:
    text = _text(panels.header_panel(state, "file x.jsonl"))
    assert "35" in text and "events" in text  # 34 finished + 1 in flight
    assert "88.2%" in text  # 30 of 34 finished events succeeded
    assert "1 (1 slow)" in text
    assert "events/s" in text
    assert "0/1" not in text and "1/0" in text  # one malformed, no foreign


def test_actions_panel_lists_latest_actions_with_status(state: MonitorState) -> None:
    text = _text(panels.actions_panel(state, rows=5))
    assert "FAILURE" in text and "SUCCESS" in text
    assert "planner" in text and "search" in text
    assert "1.5k" in text  # tokens, compact
    assert "1,250" in text  # duration in ms


def test_thoughts_panel_shows_text_with_agent(state: MonitorState) -> None:
    text = _text(panels.thoughts_panel(state))
    assert "planner" in text
    assert "the user wants a refund, not a voucher" in text


def test_agents_panel_shows_per_agent_numbers(state: MonitorState) -> None:
    text = _text(panels.agents_panel(state))
    row = next(line for line in text.splitlines() if "planner" in line)
    assert "32" in row  # calls (30 + thought + feedback target)
    assert "90.6%" in row  # 29 of 32
    assert "1,250" in row  # p95 ms
    assert "0.0%" in row  # positive-feedback rate: one negative


def test_learning_panel_shows_trend_sparkline_and_reasons(state: MonitorState) -> None:
    text = _text(panels.learning_panel(state))
    row = next(line for line in text.splitlines() if "planner" in line)
    assert "improving" in row
    assert any(ch in row for ch in "▁▂▃▄▅▆▇█")
    assert "ValueError" in row and '"too slow"' in row


def test_tools_panel_counts_calls_and_failures(state: MonitorState) -> None:
    row = next(line for line in _text(panels.tools_panel(state)).splitlines() if "search" in line)
    assert row.split()[-3:-1] == ["2", "1"]


def test_running_panel_flags_slow_runs(state: MonitorState) -> None:
    text = _text(panels.running_panel(state))
    assert "deep-research" in text and "SLOW" in text


def test_running_panel_explains_how_to_get_in_flight_runs() -> None:
    assert "OTEL_AGENTS_EMIT_PENDING" in _text(panels.running_panel(MonitorState()))


def test_dashboard_fits_a_small_terminal(state: MonitorState) -> None:
    text = _text(panels.dashboard(state, "file x.jsonl", height=30), width=100, height=30)
    assert len(text.splitlines()) <= 30
    assert "recent actions" in text and "learning" in text


def test_sparkline_scales_between_min_and_max() -> None:
    assert panels.sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert panels.sparkline([]) == ""
