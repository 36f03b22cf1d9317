"""``status`` and the monitor survive whatever a damaged or hostile log holds.

Deeply nested JSON, valid envelopes with fields of the wrong type, a last line cut off
by a crash, and a reader that closes the pipe early: counted or ignored, never a crash.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_GOOD = {
    "type": "otel_agents.outcome.v1",
    "data": {
        "event_id": "e",
        "trace_id": "0" * 32,
        "span_id": "0" * 16,
        "kind": "agent",
        "name": "planner",
        "agent_name": "planner",
        "status": "SUCCESS",
        "start_time": "2026-11-01T00:00:00Z",
        "event_type": "outcome",
        "duration_ms": 12.5,
    },
}


def _line(**data: object) -> str:
    return json.dumps({**_GOOD, "data": {**_GOOD["data"], **data}})


_HOSTILE = [
    "[" * 100_000,  # RecursionError in a recursive decoder
    '{"data": ' * 50_000 + "1" + "}" * 50_000,
    json.dumps({**_GOOD, "data": ["not", "an", "object"]}),
    _line(duration_ms="slow"),
    _line(input_tokens="many", output_tokens=[1]),
    _line(cost_usd={"usd": 1}),
    _line(status=7, kind=None),
    _line(error_type=["x"], status="FAILURE"),
    _line(tags="not-a-list", metadata=[1, 2]),
    _line(start_time=123, trace_id=None),
    _line(duration_ms=True),
]


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


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    log = tmp_path / "outcomes.jsonl"
    lines = [_line(event_id=f"good-{i}") for i in range(5)] + _HOSTILE
    log.write_text("\n".join(lines) + "\n")
    return log


def test_status_counts_hostile_lines_instead_of_crashing(hostile_log: Path) -> None:
    result = _cli("status", str(hostile_log), "--json", cwd=hostile_log.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["events"] == 5
    assert summary["skipped_lines"] == len(_HOSTILE)
    (planner,) = summary["actions"]
    assert planner["calls"] == 5
    table = _cli("status", str(hostile_log), cwd=hostile_log.parent)
    assert table.returncode == 0, table.stderr[-2000:]
    assert f"{len(_HOSTILE)} unreadable line(s) skipped" in table.stdout


def test_monitor_status_counts_hostile_lines_instead_of_crashing(hostile_log: Path) -> None:
    result = _cli(
        "monitor", "--log", str(hostile_log), "--status", "--json", cwd=hostile_log.parent
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["finished"] == 5
    assert summary["malformed"] + summary["foreign"] == len(_HOSTILE)


def test_monitor_counts_a_truncated_last_line(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    good = [_line(event_id=f"good-{i}") for i in range(3)]
    log.write_text("\n".join(good) + "\n" + _line(event_id="cut")[:80])  # writer died mid-line
    result = _cli("monitor", "--log", str(log), "--status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["finished"] == 3
    assert summary["malformed"] == 1


def test_status_json_into_a_closed_pipe_prints_no_traceback(hostile_log: Path) -> None:
    big = hostile_log.parent / "big.jsonl"
    big.write_text(
        "\n".join(_line(event_id=f"e{i}", name=f"agent-{i}") for i in range(3000)) + "\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    # The shell pipeline of the issue: `otel-agents status --json log | head -1`.
    proc = subprocess.run(
        f"{sys.executable} -m otel_agents.cli status {big} --json | head -1",
        shell=True,
        cwd=big.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip() == "{"
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "BrokenPipe" not in proc.stderr, proc.stderr
