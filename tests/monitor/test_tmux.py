"""The monitor as a person sees it: ``otel-agents monitor`` in tmux, fed by the demo.

A real broker, the real demo producing to it (with PENDING events on), a long-running
agent, a malformed message and a feedback from the CLI; the screen is read with
``tmux capture-pane`` and its numbers checked against a snapshot of the same topics.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.cimpl import Producer

from tests.kafka.broker import create_topic, read_topic

ROOT = Path(__file__).resolve().parents[2]
_CLI = [sys.executable, "-c", "import sys; from otel_agents.cli import main; sys.exit(main())"]


def _tmux(socket: str, *args: str) -> str:
    result = subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=10, check=True
    )
    return result.stdout


@pytest.fixture
def tmux_socket() -> Iterator[str]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed", pytrace=False)
        pytest.skip("tmux is not installed")
    socket = f"otel-agents-test-{uuid.uuid4().hex[:8]}"
    try:
        yield socket
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)


def test_monitor_in_tmux_shows_real_numbers(
    kafka_bootstrap: str, tmux_socket: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:10]
    outcomes = create_topic(kafka_bootstrap, f"outcomes-{suffix}")
    feedback = create_topic(kafka_bootstrap, f"feedback-{suffix}")
    env = {
        **os.environ,
        "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "OTEL_AGENTS_KAFKA_TOPIC": outcomes,
        "OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC": feedback,
        "OTEL_AGENTS_KAFKA_SPOOL_DIR": str(tmp_path / "spool"),
        "OTEL_AGENTS_EMIT_PENDING": "true",
    }
    monitor = [*_CLI, "monitor", "--from-beginning", "--slow-after", "2", "--refresh", "4"]
    settings = {k: v for k, v in env.items() if k.startswith("OTEL_AGENTS_")}
    # The tmux server inherits pytest's environment, whose COLUMNS/LINES rich would obey.
    settings.update(COLUMNS="170", LINES="50")
    command = " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items())
    _tmux(
        tmux_socket,
        "new-session",
        "-d",
        "-s",
        "mon",
        "-x",
        "170",
        "-y",
        "50",
        "-c",
        str(ROOT),
        f"env {command} {shlex.join(monitor)}",
    )
    slow = subprocess.Popen(
        [sys.executable, "-m", "tests.monitor.feeder", "--count", "0", "--slow", "120"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        demo = subprocess.run(
            [*_CLI, "demo", "--runs", "12", "--speed", "4", "--quiet"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        producer = Producer({"bootstrap.servers": kafka_bootstrap})
        producer.produce(outcomes, b"this is not an OutcomeEvent")
        assert producer.flush(10) == 0
        del producer
        judged = _an_agent_event(kafka_bootstrap, outcomes)
        sent = subprocess.run(
            [
                *_CLI,
                "feedback",
                judged["event_id"],
                "--negative",
                "--comment",
                "too long",
                "--agent",
                judged["agent_name"],
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        expected = _snapshot(env)
        screen = _wait_for_screen(tmux_socket, expected)
    finally:
        slow.kill()
        slow.wait()
    (tmp_path / "screen.txt").write_text(screen)

    header = _header_numbers(screen)
    assert header["events"] == expected["events"]
    # The demo's evaluator sends feedback on every draft; the CLI sent one more.
    assert header["feedback"] == expected["feedback"]
    assert isinstance(expected["feedback"], int) and expected["feedback"] >= 1
    assert header["malformed/foreign"] == "1/0"
    assert header["in-flight agents"].startswith("1")  # deep-research, flagged slow
    assert "deep-research" in screen and "SLOW" in screen
    for agent in ("planner", "researcher", "writer", "evaluator"):
        row = _row(screen, agent, "agents")
        assert row[0] == str(expected["agents"][agent]["calls"]), row
        assert _row(screen, agent, "learning"), f"{agent} missing from the learning panel"
    assert re.search(r"web_search\s+\d+\s+\d+", screen)
    assert "breaking '" in screen or "drafting from" in screen  # oa.thought(...) texts
    assert re.search(r"\d\d:\d\d:\d\d\s+\S+\s+\S+\s+(SUCCESS|FAILURE|PARTIAL|TIMEOUT)", screen)


def _an_agent_event(bootstrap: str, topic: str) -> dict[str, str]:
    for message in read_topic(bootstrap, topic, expect=50, timeout=30):
        try:
            data = json.loads(message.value())["data"]  # type: ignore[attr-defined]
        except ValueError:
            continue
        if data["kind"] == "agent" and data["status"] != "PENDING" and data["agent_name"]:
            return {"event_id": data["event_id"], "agent_name": data["agent_name"]}
    raise AssertionError("no agent event on the topic")


def _snapshot(env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [*_CLI, "monitor", "--status", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def _wait_for_screen(socket: str, expected: dict[str, object], timeout: float = 45.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-p", "-t", "mon")
        try:
            header = _header_numbers(screen)
        except (AssertionError, ValueError):
            header = {}
        if (
            header.get("events") == expected["events"]
            and header.get("feedback") == (expected["feedback"])
        ):
            return screen
        time.sleep(0.5)
    raise AssertionError(f"the monitor never showed the expected numbers:\n{screen}")


def _header_numbers(screen: str) -> dict[str, object]:
    """The header panel's values by label, e.g. {'events': 131, 'success': '90.1%'}."""
    lines = screen.splitlines()
    index = next(i for i, line in enumerate(lines) if "events/s" in line)
    values = re.split(r"\s{2,}", lines[index - 1].strip("│ ╭╰─"))
    labels = re.split(r"\s{2,}", lines[index].strip("│ "))
    assert len(values) == len(labels) == 6, (values, labels)
    header: dict[str, object] = dict(zip(labels, values, strict=True))
    header["events"] = int(str(header["events"]).replace(",", ""))
    header["feedback"] = int(str(header["feedback"]).replace(",", ""))
    return header


def _row(screen: str, agent: str, panel: str) -> list[str]:
    """The cells after ``agent`` in the first line of ``panel`` that names it."""
    seen_panel = False
    for line in screen.splitlines():
        for cell in line.split("╭"):
            if f" {panel} " in cell or cell.startswith(f"─ {panel}"):
                seen_panel = True
        if not seen_panel:
            continue
        for cell in re.split(r"│{1,2}", line):
            words = cell.split()
            if words[:1] == [agent]:
                if panel == "agents" and len(words) > 1 and words[1].isdigit():
                    return words[1:]
                if panel == "learning" and len(words) > 1 and not words[1].isdigit():
                    return words[1:]
    return []
