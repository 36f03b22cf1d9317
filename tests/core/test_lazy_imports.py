"""``import otel_agents`` stays cheap: the SDK, exporters, Kafka, rich and metrics load
only when first needed (``configure()``, the CLI, a sink). Checked in a fresh interpreter,
where nothing else has imported them yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: Module prefixes that must not be loaded by ``import otel_agents`` alone.
HEAVY = (
    "opentelemetry.sdk",
    "opentelemetry.exporter",
    "opentelemetry.metrics",
    "opentelemetry.instrumentation",
    "confluent_kafka",
    "rich",
    "otel_agents.export",
    "otel_agents.analysis",
    "otel_agents.monitor",
    "otel_agents.cli",
    "otel_agents.auto",
    "asyncio",
)


def _modules_after(code: str, cwd: Path, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in HEAVY)]


def test_import_otel_agents_loads_no_sdk_exporter_kafka_rich_or_metrics(tmp_path: Path) -> None:
    modules = _modules_after("import otel_agents", tmp_path)
    assert "otel_agents" in modules
    assert _heavy(modules) == []


def test_decorating_and_calling_without_an_sdk_loads_nothing_heavy(tmp_path: Path) -> None:
    code = """
        import otel_agents as oa

        @oa.agent(name="planner")
        def plan(task):
            return task

        @oa.tool
        def search(q):
            return q

        assert plan(search("x")) == "x"
    """
    assert _heavy(_modules_after(code, tmp_path)) == []


def test_configure_loads_the_sdk_when_asked(tmp_path: Path) -> None:
    # The check above would pass for a package that never exports: this one would not.
    code = f"""
        import otel_agents as oa
        oa.configure(service_name="t", outcome_log={str(tmp_path / "o.jsonl")!r})
    """
    modules = _modules_after(code, tmp_path)
    assert "opentelemetry.sdk.trace" in modules
    assert "otel_agents.export.processor" in modules
