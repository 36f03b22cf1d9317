"""Presets on real frameworks, offline: each app runs with only the flag on.

Every app runs its framework with a fake model and a tool that sleeps 50 ms, under
``OTEL_AGENTS_AUTO_INSTRUMENT=true`` and no targets, so the installed framework's preset
applies by itself. Each run must give events named after the app's agent and tool,
durations covering the real work, every tool inside its agent, and nothing twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.frameworks.venvs import run_in_framework

APPS = Path(__file__).parent
# group -> (app, runs of the agent the app makes, event name of a crew/workflow or None)
CASES = {
    "pydantic-ai": ("pydantic_ai_app.py", 4, None),
    "openai-agents": ("openai_agents_app.py", 2, None),
    "langgraph": ("langgraph_app.py", 2, None),
    "smolagents": ("smolagents_app.py", 2, None),
    "ag2": ("ag2_app.py", 2, None),
    "crewai": ("crewai_app.py", 1, "weather_crew"),
    "llama-index": ("llama_index_app.py", 2, None),
}
TOOL_SLEEP_MS = 50


def _run(group: str, app: str, tmp_path: Path) -> list[dict[str, Any]]:
    log = tmp_path / "outcomes.jsonl"
    run_in_framework(
        group,
        [str(APPS / app)],
        env={
            "OTEL_AGENTS_AUTO_INSTRUMENT": "true",
            "OTEL_AGENTS_OUTCOME_LOG": str(log),
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        },
    )
    return [json.loads(line)["data"] for line in log.read_text().splitlines()]


@pytest.mark.parametrize("group", sorted(CASES))
def test_preset_names_spans_after_the_agent_and_tool_and_covers_their_work(
    group: str, tmp_path: Path
) -> None:
    app, runs, workflow = CASES[group]
    events = _run(group, app, tmp_path)
    by_id = {e["span_id"]: e for e in events}
    agents = [e for e in events if e["action_type"] == "agent"]
    tools = [e for e in events if e["name"] == "get_weather"]

    assert [a["name"] for a in agents] == ["weather_agent"] * runs, events
    assert len(tools) == runs, [e["name"] for e in events]
    assert len(by_id) == len(events), "an event was emitted twice"
    for tool in tools:
        assert tool["action_type"] == "tool"
        assert tool["duration_ms"] >= TOOL_SLEEP_MS
        parent = by_id.get(tool["parent_span_id"])
        assert parent is not None and parent["name"] == "weather_agent", "orphaned tool"
        assert parent["duration_ms"] >= tool["duration_ms"]
    for agent in agents:
        inner = [t for t in tools if t["parent_span_id"] == agent["span_id"]]
        assert len(inner) == 1, "each agent run calls its tool once"
        assert agent["status"] == "SUCCESS"
    if workflow is None:
        assert all(a.get("parent_span_id") is None for a in agents)
    else:
        crew = [e for e in events if e["name"] == workflow]
        assert len(crew) == 1 and crew[0]["action_type"] == "workflow"
        assert all(a["parent_span_id"] == crew[0]["span_id"] for a in agents)
