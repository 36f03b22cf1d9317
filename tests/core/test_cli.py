"""The otel-agents command line: demo, schema, status (run as real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import otel_agents as oa


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-m", "otel_agents.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_runs_on_the_embedded_default_and_prints_a_summary(tmp_path, outcome_schema_validator):
    result = _cli("demo", "--runs", "4", "--speed", "5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for agent in ("planner", "researcher", "writer", "evaluator", "web_search"):
        assert agent in result.stdout
    assert "p95 ms" in result.stdout
    lines = (tmp_path / ".otel-agents" / "outcomes.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    for event in events:
        outcome_schema_validator.validate(event)
    kinds = {e["data"]["kind"] for e in events}
    assert kinds == {"workflow", "agent", "tool"}
    assert sum(1 for e in events if e["data"]["kind"] == "workflow") == 4
    assert any(e["data"]["events"] for e in events), "thoughts/evaluations are recorded"
    assert sum(e["data"]["input_tokens"] or 0 for e in events) > 0


def test_demo_is_reproducible_with_a_seed(tmp_path):
    def statuses(folder: Path) -> list[tuple[str, str]]:
        folder.mkdir()
        assert (
            _cli(
                "demo", "--runs", "3", "--speed", "10", "--seed", "3", "--quiet", cwd=folder
            ).returncode
            == 0
        )
        rows = [
            json.loads(x)["data"]
            for x in (folder / ".otel-agents/outcomes.jsonl").read_text().splitlines()
        ]
        return sorted((r["name"], r["status"]) for r in rows)

    assert statuses(tmp_path / "a") == statuses(tmp_path / "b")


def test_schema_prints_the_published_json_schema(tmp_path):
    result = _cli("schema", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == oa.load_schema()


def test_status_summarises_an_outcome_log_and_counts_bad_lines(tmp_path):
    assert _cli("demo", "--runs", "2", "--speed", "10", "--quiet", cwd=tmp_path).returncode == 0
    log = tmp_path / ".otel-agents" / "outcomes.jsonl"
    with log.open("a") as handle:
        handle.write('not json\n{"foreign": true}\n')
    result = _cli("status", str(log), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    names = {a["name"]: a for a in summary["actions"]}
    assert names["research-report"]["calls"] == 2
    assert summary["skipped_lines"] == 2
    table = _cli("status", str(log), cwd=tmp_path)
    assert "research-report" in table.stdout and "2 unreadable" in table.stdout


def test_status_of_a_missing_file_says_so(tmp_path):
    result = _cli("status", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_schema_feedback_prints_the_feedback_event_schema(tmp_path):
    from otel_agents.events.feedback import load_feedback_schema

    result = _cli("schema", "--feedback", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == load_feedback_schema()


def test_status_and_monitor_status_agree_on_every_agent_figure_for_the_demo_log(tmp_path):
    assert _cli("demo", "--runs", "6", "--speed", "10", "--quiet", cwd=tmp_path).returncode == 0
    log = tmp_path / ".otel-agents" / "outcomes.jsonl"
    status = _cli("status", str(log), "--json", cwd=tmp_path)
    monitor = _cli(
        "monitor", "--status", "--json", "--log", str(log), "--from-beginning", cwd=tmp_path
    )
    assert status.returncode == 0, status.stderr
    assert monitor.returncode == 0, monitor.stderr
    by_status = {
        row["name"]: row for row in json.loads(status.stdout)["actions"] if row["kind"] == "agent"
    }
    by_monitor = json.loads(monitor.stdout)["agents"]
    assert by_status and set(by_status) == set(by_monitor)
    figures = [key for key in by_status[next(iter(by_status))] if key not in ("kind", "name")]
    assert "p95_ms" in figures and "success_rate" in figures and "cost_usd" in figures
    for name, row in by_status.items():
        assert {key: row[key] for key in figures} == {
            key: by_monitor[name][key] for key in figures
        }, name
