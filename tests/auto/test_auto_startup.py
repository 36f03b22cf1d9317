"""Auto-instrumentation in real processes: plain python (.pth hook), opentelemetry-instrument."""

from __future__ import annotations

import pytest
from conftest import SHOP_TARGETS, RunApp

PATHS = ["python", "opentelemetry-instrument"]
ON = {"OTEL_AGENTS_AUTO_INSTRUMENT": "true", "OTEL_AGENTS_TARGETS": SHOP_TARGETS}
EXPECTED_SPANS = [
    "execute_tool fetch",
    "execute_tool search_docs",
    "execute_tool search_web",
    "invoke_agent AsyncResearchAgent",
    "invoke_agent BaseAgent",
    "invoke_agent DefinedInMain",
    "invoke_agent EarlyAgent",
    "invoke_agent InheritingAgent",
    "invoke_agent LateAgent",
    "invoke_agent PlannerAgent",
    "invoke_agent ReportAgent",
    "invoke_workflow nightly",
]


@pytest.mark.parametrize("via", PATHS)
def test_flag_instruments_every_target_once(run_app: RunApp, via: str) -> None:
    app = run_app(env=ON, via=via)
    assert app.returncode == 0, app.stderr
    assert "shop: done" in app.stdout
    # One span per call: the .pth hook and opentelemetry-instrument never both wrap, and
    # a super().run() inside an override adds no second span.
    assert app.span_names == EXPECTED_SPANS
    assert sorted(name.split(" ", 1)[1] for name in EXPECTED_SPANS) == app.event_names


def test_workflow_target_carries_its_id_to_nested_agents(run_app: RunApp) -> None:
    app = run_app(env=ON)
    (workflow,) = [e["data"] for e in app.events if e["data"]["kind"] == "workflow"]
    nested = [e["data"] for e in app.events if e["data"]["workflow_id"] == workflow["workflow_id"]]
    assert workflow["name"] == "nightly"
    assert sorted(e["name"] for e in nested) == ["ReportAgent", "nightly"]


@pytest.mark.parametrize("via", PATHS)
def test_outcomes_carry_status_and_values(run_app: RunApp, via: str) -> None:
    app = run_app(env=ON, via=via)
    planner = app.event("PlannerAgent")
    assert (planner["status"], planner["kind"], planner["total_tokens"]) == ("SUCCESS", "agent", 12)
    fetch = app.event("fetch")
    assert (fetch["status"], fetch["kind"], fetch["error_type"]) == (
        "TIMEOUT",
        "tool",
        "TimeoutError",
    )


@pytest.mark.parametrize("via", PATHS)
def test_async_methods_and_later_subclasses_are_traced(run_app: RunApp, via: str) -> None:
    app = run_app(env=ON, via=via)
    # AsyncResearchAgent.execute and LateAgent.run are coroutines; LateAgent and
    # DefinedInMain are subclasses of BaseAgent created after instrumentation.
    assert app.event("AsyncResearchAgent")["status"] == "SUCCESS"
    assert app.event("LateAgent")["duration_ms"] >= 0
    assert app.event("DefinedInMain")["status"] == "SUCCESS"


def test_private_and_unmatched_names_are_left_alone(run_app: RunApp) -> None:
    app = run_app(env=ON)
    assert "invoke_agent NotAnAgentHelper" not in app.span_names
    assert not [name for name in app.span_names if "_search_private" in name]


@pytest.mark.parametrize(
    ("via", "env"),
    [
        ("python", {"OTEL_AGENTS_AUTO_INSTRUMENT": "false"}),
        ("python", {"OTEL_AGENTS_AUTO_INSTRUMENT": ""}),
        ("python", {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "flask, otel_agents"}),
        ("opentelemetry-instrument", {"OTEL_AGENTS_AUTO_INSTRUMENT": "false"}),
        ("opentelemetry-instrument", {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "otel_agents"}),
    ],
)
def test_disabled_means_no_spans_and_no_outcomes(
    run_app: RunApp, via: str, env: dict[str, str]
) -> None:
    app = run_app(env={**ON, **env}, via=via)
    assert app.returncode == 0, app.stderr
    assert "shop: done" in app.stdout
    assert app.spans == [] and app.events == []


def test_targets_alone_turn_it_on_under_opentelemetry_instrument(run_app: RunApp) -> None:
    app = run_app(env={"OTEL_AGENTS_TARGETS": SHOP_TARGETS}, via="opentelemetry-instrument")
    assert app.span_names == EXPECTED_SPANS
    assert run_app(env={"OTEL_AGENTS_TARGETS": SHOP_TARGETS}).spans == []  # plain python


def test_module_glob_matches_submodules(run_app: RunApp) -> None:
    app = run_app(
        env={
            "OTEL_AGENTS_AUTO_INSTRUMENT": "true",
            "OTEL_AGENTS_TARGETS": "shop.*:Planner*.execute",
        }
    )
    assert app.span_names == ["invoke_agent PlannerAgent"]


@pytest.mark.parametrize("via", PATHS)
def test_unmatched_pattern_is_reported_once(run_app: RunApp, via: str) -> None:
    targets = f"{SHOP_TARGETS}, shop.tools:no_such_tool, shop.missing:*Agent.run"
    app = run_app(env={**ON, "OTEL_AGENTS_TARGETS": targets}, via=via)
    assert app.returncode == 0, app.stderr
    assert app.stderr.count("'shop.tools:no_such_tool' matched nothing") == 1
    assert app.stderr.count("'shop.missing:*Agent.run' matched nothing") == 1
    assert "'shop.tools:search_*'" not in app.stderr


@pytest.mark.parametrize("via", PATHS)
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_AGENTS_TARGETS": "shop.agents"}, "expected [kind:]module:qualname"),
        ({"OTEL_AGENTS_TARGETS": "robot:shop.agents:X"}, "unknown kind 'robot'"),
        ({"OTEL_AGENTS_TARGETS": "shop.tools:fetch+"}, "'+' applies to Class.method"),
        ({"OTEL_AGENTS_AUTO_INSTRUMENT": "ture"}, "is not a boolean"),
        ({"OTEL_TRACES_EXPORTER": "no_such_exporter"}, "could not configure the OpenTelemetry SDK"),
    ],
)
def test_malformed_configuration_stops_at_startup(
    run_app: RunApp, via: str, env: dict[str, str], message: str
) -> None:
    app = run_app(env={**ON, **env}, via=via)
    assert app.returncode == 2
    assert message in app.stderr
    assert "Traceback" not in app.stderr
    assert "shop: done" not in app.stdout


def test_hand_decorated_and_matched_code_gets_one_span(run_app: RunApp) -> None:
    app = run_app(
        "handmade_main",
        env={
            "OTEL_AGENTS_AUTO_INSTRUMENT": "true",
            "OTEL_AGENTS_TARGETS": "handmade:Reviewer.execute, tool:handmade:lookup",
        },
    )
    assert app.returncode == 0, app.stderr
    assert app.span_names == ["execute_tool lookup", "invoke_agent reviewer"]
    assert "matched nothing" not in app.stderr
