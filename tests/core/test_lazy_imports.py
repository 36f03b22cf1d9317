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
    # Its regular expressions cost ~3 ms; no context holds baggage before it is imported.
    "opentelemetry.baggage",
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


def test_auto_flag_loads_nothing_of_ours_until_a_target_is_imported(tmp_path: Path) -> None:
    # The start-up hook only watches imports: a process that never imports a target
    # (a CLI tool, pip, a subprocess) must not pay for the package or the SDK.
    env = {
        "OTEL_AGENTS_AUTO_INSTRUMENT": "true",
        "OTEL_AGENTS_TARGETS": "never_imported.agents:*Agent.run",
        "OTEL_AGENTS_OUTCOME_LOG": str(tmp_path / "o.jsonl"),
    }
    modules = _modules_after("pass", tmp_path, **env)
    assert [m for m in modules if m.startswith(("otel_agents", "opentelemetry"))] == []


def _modules_of_a_flagged_app(tmp_path: Path, *, call: bool = True) -> list[str]:
    """Modules loaded by an app run with the flag that imports its target (and calls it)."""
    (tmp_path / "my_agents.py").write_text(
        "class PlanAgent:\n    def run(self, task):\n        return task\n"
    )
    env = {
        "OTEL_AGENTS_AUTO_INSTRUMENT": "true",
        "OTEL_AGENTS_TARGETS": "my_agents:*Agent.run",
        "OTEL_AGENTS_OUTCOME_LOG": str(tmp_path / "o.jsonl"),
    }
    code = """
        import my_agents
        assert my_agents.PlanAgent().run("x") == "x"
        import otel_agents as oa
        assert oa.force_flush()
        assert [e.name for e in oa.recent_events()] == ["PlanAgent"]
    """
    if not call:
        code = "import my_agents"
    return _modules_after(code, tmp_path, **env)


def test_auto_flag_sets_up_when_the_first_target_is_imported(tmp_path: Path) -> None:
    assert "opentelemetry.sdk.trace" in _modules_of_a_flagged_app(tmp_path)


#: What the flag's set-up used to load with a target imported (~200 ms of CPU): the
#: instrumentation base class, its version checks, wrapt, the SDK's metrics, and stdlib
#: modules only some features need.
SLOW_AT_START_UP = (
    "opentelemetry.instrumentation",
    "opentelemetry.sdk.metrics",
    "wrapt",
    "packaging",
    "importlib.metadata",
    "importlib.resources",
    "multiprocessing",
    "otel_agents.auto.instrumentor",
)


def test_auto_flag_with_a_target_sets_up_without_the_slow_extras(tmp_path: Path) -> None:
    modules = _modules_of_a_flagged_app(tmp_path)
    assert "otel_agents.auto._engine" in modules  # it did set up, through the engine
    slow = [m for m in modules if any(m == p or m.startswith(p + ".") for p in SLOW_AT_START_UP)]
    assert slow == []


#: What the outcome processor loads with its first batch, not at start-up.
LOADED_WITH_THE_FIRST_BATCH = (
    "orjson",
    "otel_agents.events.outcome",
    "otel_agents.events.jsonsafe",
    "otel_agents.export.rollup",
    "otel_agents.export.foreign",
    "otel_agents.export.prices",
)

#: What the flagged start-up leaves for later: the first traced call (the call lifecycle,
#: hooks), the outcome processor's first batch (the event model with orjson, the roll-up
#: with other libraries' adapters and the price table, on the outcome worker), or a
#: feature the patterns do not use (presets, ``;name=`` rules, ``@attr``, baggage).
LOADED_WHEN_FIRST_USED = (
    "opentelemetry.baggage",
    "otel_agents.instrument.decorators",
    "otel_agents.instrument.lifecycle",
    "otel_agents.instrument.hooks",
    "otel_agents.auto.presets",
    "otel_agents.auto.naming",
    "otel_agents.auto._attributes",
    "otel_agents.export.foreign.genai",  # with the first span of another library mapped
    *LOADED_WITH_THE_FIRST_BATCH,
    # The outcome log's paths are strings (pathlib costs ~6 M instructions at start-up).
    "pathlib",
    # The OTLP rules, while no endpoint and no OTEL_EXPORTER_OTLP_* variable is set.
    "otel_agents.export.otlp_signals",
    # Status, Severity, FeedbackKind: ~0.6 M instructions to create each enum class.
    "otel_agents._semconv_enums",
)


def test_auto_flag_start_up_leaves_what_only_calls_and_unused_features_need(
    tmp_path: Path,
) -> None:
    modules = _modules_of_a_flagged_app(tmp_path, call=False)
    assert "otel_agents.auto._engine" in modules  # it did set up and wrap
    assert [m for m in LOADED_WHEN_FIRST_USED if m in modules] == []


def test_the_first_traced_call_loads_the_call_lifecycle(tmp_path: Path) -> None:
    # The check above would pass for wrappers that never trace: these modules do load
    # as soon as a wrapped agent is called.
    modules = _modules_of_a_flagged_app(tmp_path)
    assert "otel_agents.instrument.lifecycle" in modules
    assert "otel_agents.instrument.hooks" in modules
    # ... and the outcome's batch (exported by force_flush) loads the event model and the
    # roll-up: the app's assertions above saw its event in recent_events().
    assert [m for m in LOADED_WITH_THE_FIRST_BATCH if m not in modules] == []
