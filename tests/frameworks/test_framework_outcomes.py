"""Real agent frameworks, offline on their own fake/test models, traced by their own
instrumentation (or OpenInference / OpenLLMetry), become complete OutcomeEvents.

Each app runs in its framework's cached venv (``venvs.py``) with otel-agents configured
(outcome log, optionally Kafka); the assertions read what it wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.frameworks.apps._outcomes import API_KEY, MARKER
from tests.frameworks.venvs import BUILD_TIMEOUT_S, run_in_framework
from tests.kafka.broker import read_topic

# The first test of a framework builds its venv (minutes on a fresh machine, once per
# requirements hash): more than the suite's per-test timeout allows.
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT_S + 300)
APPS = Path(__file__).resolve().parent / "apps"
CASES = {
    "pydantic-ai": ("pydantic-ai", "pydantic_ai_app.py", {}),
    "openai-agents/openinference": ("openai-agents", "openai_agents_app.py", {}),
    "langgraph/openinference": (
        "langgraph",
        "langgraph_app.py",
        {"INSTRUMENTATION": "openinference"},
    ),
    "langgraph/traceloop": ("langgraph", "langgraph_app.py", {"INSTRUMENTATION": "traceloop"}),
    "llm-client/openai": ("llm-client", "llm_client_app.py", {}),
}


@dataclass
class Run:
    events: list[dict[str, Any]]
    log_text: str
    expected: dict[str, Any]
    stdout: str

    def agents(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == "agent" and e["name"] == name]


def run_app(case: str, tmp: Path, extra_env: dict[str, str] | None = None) -> Run:
    group, app, env = CASES[case]
    log = tmp / "outcomes.jsonl"
    result = run_in_framework(
        group,
        [str(APPS / app)],
        env={**env, "OUTCOME_LOG": str(log), **(extra_env or {})},
        cwd=APPS,
    )
    expected_line = [line for line in result.stdout.splitlines() if line.startswith("EXPECTED ")]
    assert expected_line, result.stdout[-2000:] + result.stderr[-2000:]
    text = log.read_text()
    events = [json.loads(line)["data"] for line in text.splitlines() if line.strip()]
    return Run(events, text, json.loads(expected_line[-1][len("EXPECTED ") :]), result.stdout)


_RUNS: dict[str, Run] = {}


def cached_run(case: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run of the case's app with content capture off (the default), shared by tests."""
    if case not in _RUNS:
        _RUNS[case] = run_app(case, tmp_path_factory.mktemp(case.replace("/", "-")))
    return _RUNS[case]


@pytest.fixture(params=sorted(CASES))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return cached_run(request.param, tmp_path_factory)


@pytest.fixture
def llm_client_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return cached_run("llm-client/openai", tmp_path_factory)


def test_one_agent_event_per_run_named_as_the_framework_names_it(run: Run) -> None:
    agents = [e for e in run.events if e["kind"] == "agent"]
    names = sorted(e["name"] for e in agents)
    assert names == sorted([run.expected["agent"], run.expected["failing_agent"]]), names


def test_one_tool_event_per_tool_call(run: Run) -> None:
    tools = [e["name"] for e in run.events if e["kind"] == "tool"]
    for tool in run.expected["tools"]:
        assert tools.count(tool) == 1, tools


def test_tokens_are_the_sum_of_the_fake_models_usage(run: Run) -> None:
    (agent,) = run.agents(run.expected["agent"])
    assert agent["input_tokens"] == run.expected["input_tokens"]
    assert agent["output_tokens"] == run.expected["output_tokens"]
    assert agent["total_tokens"] == run.expected["input_tokens"] + run.expected["output_tokens"]
    assert agent["llm_calls"] == run.expected.get("llm_calls", 2)
    assert agent["llm_latency_ms"] > 0
    if "cached_input_tokens" in run.expected:
        assert agent["cached_input_tokens"] == run.expected["cached_input_tokens"]


def test_the_model_is_named(run: Run) -> None:
    (agent,) = run.agents(run.expected["agent"])
    assert agent["model"] is not None
    assert agent["model"].startswith(run.expected["model"].split("-2024")[0]), agent["model"]


def test_a_failing_run_is_a_failure_with_an_error_type(run: Run) -> None:
    (failed,) = run.agents(run.expected["failing_agent"])
    assert failed["status"] == "FAILURE"
    assert failed["severity"] == "ERROR"
    assert failed["error_type"]
    assert run.expected["error_type"] is not None
    # Where the instrumentation records the exception, its type is the error type.
    if failed["error_type"] != "_OTHER":
        assert failed["error_type"].endswith(run.expected["error_type"].split(".")[-1])
    # A framework's run around the agent ("Agent workflow") failed with it.
    workflows = [e for e in run.events if e["kind"] == "workflow"]
    failed_trace = [w for w in workflows if w["trace_id"] == failed["trace_id"]]
    assert all(w["status"] == "FAILURE" for w in failed_trace), failed_trace


def test_a_planted_secret_is_nowhere_with_capture_off(run: Run) -> None:
    assert MARKER not in run.log_text
    assert API_KEY not in run.log_text


def test_no_other_library_noise_reaches_an_event(run: Run) -> None:
    for event in run.events:
        assert not any(key.startswith("logfire.") for key in event["attributes"]), event["name"]


def test_known_model_gets_a_cost_from_the_price_table(llm_client_run: Run) -> None:
    run = llm_client_run
    (agent,) = run.agents("weather_agent")
    # gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million tokens.
    fresh = run.expected["input_tokens"] - run.expected["cached_input_tokens"]
    expected = (
        fresh * 0.15
        + run.expected["cached_input_tokens"] * 0.075
        + run.expected["output_tokens"] * 0.6
    ) / 1e6
    assert agent["cost_usd"] == pytest.approx(expected)


def test_session_and_user_reach_every_event_of_the_run(llm_client_run: Run) -> None:
    run = llm_client_run
    trace = run.agents("weather_agent")[0]["trace_id"]
    in_run = [e for e in run.events if e["trace_id"] == trace]
    assert len(in_run) == 2  # the agent and its tool
    assert {e["session_id"] for e in in_run} == {run.expected["session_id"]}
    assert {e["user_id"] for e in in_run} == {run.expected["user_id"]}


def test_capture_on_applies_our_redaction_to_other_libraries_content(tmp_path: Path) -> None:
    run = run_app("pydantic-ai", tmp_path, {"CAPTURE": "true"})
    assert MARKER in run.log_text  # content is captured...
    assert API_KEY not in run.log_text  # ...and the key redacted
    (agent,) = run.agents("weather_agent")
    assert agent["input"] is not None and "[REDACTED]" in agent["input"]


@pytest.mark.integration
def test_kafka_topic_holds_one_record_per_event_and_no_secret(
    tmp_path: Path, kafka_bootstrap: str, kafka_topic: str
) -> None:
    run = run_app(
        "langgraph/openinference",
        tmp_path,
        {"KAFKA_BOOTSTRAP": kafka_bootstrap, "KAFKA_TOPIC": kafka_topic},
    )
    records = read_topic(kafka_bootstrap, kafka_topic, expect=len(run.events))
    values = [record.value() for record in records]  # type: ignore[attr-defined]
    ids = [json.loads(value)["id"] for value in values]
    assert sorted(ids) == sorted(e["event_id"] for e in run.events)
    assert len(set(ids)) == len(ids)
    blob = b"".join(values)
    assert MARKER.encode() not in blob and API_KEY.encode() not in blob
