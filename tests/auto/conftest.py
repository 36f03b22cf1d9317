"""Helpers for auto-instrumentation tests: run a sample app in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SAMPLE_APPS = Path(__file__).parent / "sample_apps"
BIN = Path(sys.executable).parent
SHOP_TARGETS = (
    "shop.agents:*Agent.execute, tool:shop.tools:search_*, tool:shop.tools:fetch, "
    "shop.base:BaseAgent.run+, workflow:shop.flows:nightly"
)


class AppRun:
    """What one sample-app process did: exit code, output, spans and outcome events."""

    def __init__(self, proc: subprocess.CompletedProcess[str], outcome_log: Path) -> None:
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.spans = _console_spans(proc.stdout)
        self.events = (
            [json.loads(line) for line in outcome_log.read_text().splitlines()]
            if outcome_log.exists()
            else []
        )

    @property
    def span_names(self) -> list[str]:
        return sorted(span["name"] for span in self.spans)

    def event(self, name: str) -> dict[str, Any]:
        found = [e["data"] for e in self.events if e["data"]["name"] == name]
        assert len(found) == 1, f"{name}: {len(found)} events; names: {self.event_names}"
        data: dict[str, Any] = found[0]
        return data

    @property
    def event_names(self) -> list[str]:
        return sorted(e["data"]["name"] for e in self.events)


def _console_spans(stdout: str) -> list[dict[str, Any]]:
    # The console exporter prints one indented JSON object per span, back to back.
    decoder = json.JSONDecoder()
    spans, index = [], 0
    while True:
        start = stdout.find("{", index)
        if start < 0:
            return spans
        obj, index = decoder.raw_decode(stdout, start)
        if isinstance(obj, dict) and "context" in obj:
            spans.append(obj)


RunApp = Callable[..., AppRun]


@pytest.fixture
def run_app(tmp_path: Path) -> RunApp:
    """Run ``python -m <module>`` (or under opentelemetry-instrument) with ``env`` added."""

    def run(module: str = "shop.main", *, env: dict[str, str], via: str = "python") -> AppRun:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        clean.pop("PYTHONPATH", None)
        log = tmp_path / f"outcomes-{len(list(tmp_path.iterdir()))}.jsonl"
        clean.update(
            {
                "PATH": f"{BIN}{os.pathsep}{clean.get('PATH', '')}",
                "OTEL_AGENTS_OUTCOME_LOG": str(log),
                "OTEL_TRACES_EXPORTER": "console",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
                "OTEL_SERVICE_NAME": "shop",
                # These runs describe an app without a distro; the dev extra installs
                # opentelemetry-distro for the one test that needs it, so name none here.
                "OTEL_PYTHON_DISTRO": "none",
                "OTEL_PYTHON_CONFIGURATOR": "none",
            }
        )
        clean.update(env)
        command = [sys.executable, "-m", module]
        if via == "opentelemetry-instrument":
            command = [str(BIN / "opentelemetry-instrument"), *command]
        proc = subprocess.run(
            command, cwd=SAMPLE_APPS, env=clean, capture_output=True, text=True, timeout=60
        )
        return AppRun(proc, log)

    return run
