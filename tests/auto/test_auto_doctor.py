"""``otel-agents doctor``: what would be wrapped, reported with no side effect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.auto.conftest import SAMPLE_APPS

# Runs the command's own code, then checks that nothing was wrapped or configured.
_SCRIPT = """
import sys
from opentelemetry import trace
from otel_agents.cli import main
code = main(["doctor", "--targets", sys.argv[1]])
import shop.agents, shop.tools
assert not hasattr(shop.tools.search_web, "__otel_agents_spec__"), "doctor wrapped a tool"
assert not hasattr(shop.agents.PlannerAgent.execute, "__otel_agents_spec__")
assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider", "SDK configured"
sys.exit(code)
"""


def _doctor(targets: str, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_AGENTS_OUTCOME_LOG"] = str(tmp_path / "outcomes.jsonl")
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, targets],
        cwd=SAMPLE_APPS,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "outcomes.jsonl").exists(), "doctor wrote telemetry"
    return proc.stdout


def test_doctor_lists_what_each_pattern_would_wrap_and_wraps_nothing(tmp_path: Path) -> None:
    out = _doctor(
        "shop.agents:*Agent.execute, tool:shop.tools:search_*, tool:shop.tools:nothing_*, "
        "nosuch.mod:X.y, preset:langgraph",
        tmp_path,
    )
    lines = [line.strip() for line in out.splitlines()]
    assert "agent: shop.agents.PlannerAgent.execute" in lines
    assert "agent: shop.agents.ReportAgent.execute" in lines
    assert "agent: shop.agents.NotAnAgentHelper.execute" not in lines
    assert {"tool: shop.tools.search_web", "tool: shop.tools.search_docs"} <= set(lines)
    assert "no member matches nothing_* (inherited members need '+')" in lines
    assert "module nosuch.mod is not installed" in lines
    assert any(line.startswith("preset:langgraph") for line in lines), out
