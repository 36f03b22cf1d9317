"""``otel-agents monitor --status``: a one-shot summary over a real outcome log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from otel_agents.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def outcome_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log written by real decorated agents (the feeder) in a process of its own."""
    log = tmp_path_factory.mktemp("status") / "outcomes.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.monitor.feeder",
            "--log",
            str(log),
            "--count",
            "120",
            "--rate",
            "100000",
        ],
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    with open(log, "ab") as handle:
        handle.write(b"this line is not an event\n")
    return log


def test_status_json_summarises_the_log(
    outcome_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["monitor", "--log", str(outcome_log), "--status", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["events"] == 360  # 120 agent runs, each with 2 tool calls
    assert set(summary["agents"]) == {"planner", "researcher", "coder"}
    assert summary["agents"]["planner"]["calls"] == 40
    assert summary["agents"]["planner"]["trend"] == "improving"
    assert summary["agents"]["coder"]["trend"] == "declining"
    assert summary["tools"] == {"search": 120, "calculator": 120}
    assert summary["malformed"] == 1


def test_status_with_filters(outcome_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["monitor", "--log", str(outcome_log), "--agent", "coder", "--status", "FAILURE,TIMEOUT"]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["agents"]) == {"coder"}
    assert set(summary["statuses"]) <= {"FAILURE", "TIMEOUT"}
    assert summary["events"] == summary["agents"]["coder"]["calls"] > 0


def test_status_prints_the_panels(outcome_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "--log", str(outcome_log), "--status"]) == 0
    out = capsys.readouterr().out
    for title in ("otel-agents monitor", "agents", "learning", "tool usage", "in flight"):
        assert title in out


def test_unknown_status_is_a_usage_error(outcome_log: Path) -> None:
    assert main(["monitor", "--log", str(outcome_log), "--status", "DONE"]) == 2
