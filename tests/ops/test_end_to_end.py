"""End to end with the real components: the demo → the Collector built from the
manifest → Prometheus (Debian's) and Jaeger v2 (built from jaeger/go.mod, fed by the
Collector's ``otlp_grpc/jaeger`` exporter), then every dashboard query and every alert
rule against that Prometheus, and every workflow run found whole in Jaeger.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import jaeger_harness
import ops_harness
import pytest
from ops_harness import OpsStack

# The first test may wait for the Collector build (minutes on a cold machine).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(ops_harness.COLLECTOR_TEST_TIMEOUT_S),
]

AGENTS = {"planner", "researcher", "writer", "evaluator"}
OUR_METRICS = {
    "gen_ai_client_token_usage_bucket",
    "gen_ai_invoke_agent_duration_seconds_bucket",
    "gen_ai_execute_tool_duration_seconds_bucket",
    "gen_ai_workflow_duration_seconds_bucket",
    "agent_outcomes_total",
    "agent_outcome_cost_usd_bucket",
    "agent_outcome_quality_score_bucket",
    "agent_outcome_confidence_score_bucket",
    "agent_outcome_reward",
    "agent_outcome_rewarded_total",
}
SPAN_METRICS = {
    "traces_span_metrics_calls_total",
    "traces_span_metrics_duration_milliseconds_bucket",
}


def _wait(check: Any, timeout_s: float, what: str, stack: OpsStack) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        if not stack.demo.running():
            pytest.fail(f"the demo exited:\n{stack.demo.tail()}")
        time.sleep(1)
    pytest.fail(
        f"no {what} after {timeout_s}s (last: {last})\n--- collector:\n"
        f"{stack.collector.tail(20)}\n--- demo:\n{stack.demo.tail(20)}"
    )


@pytest.fixture(scope="module")
def stack(ops_stack: OpsStack) -> OpsStack:
    """The stack once Prometheus has a few scrapes of every metric the checks read."""
    prometheus = ops_stack.prometheus
    _wait(
        lambda: prometheus.series_names() >= (SPAN_METRICS | OUR_METRICS),
        120,
        "span metrics and agent metrics in Prometheus",
        ops_stack,
    )
    # rate() needs two samples in its window; 1 s scrapes, so 10 s gives headroom.
    _wait(
        lambda: prometheus.query("count_over_time(agent_outcomes_total[1m]) >= 10"),
        60,
        "ten scrapes",
        ops_stack,
    )
    # Every rule group evaluated at least once, so rule health is known.
    _wait(
        lambda: all(
            rule.get("lastEvaluation", "").startswith("2") and rule["health"] != "unknown"
            for group in prometheus.rule_groups()
            for rule in group["rules"]
        ),
        30,
        "evaluation of every rule",
        ops_stack,
    )
    return ops_stack


def _finite(result: list[dict[str, Any]]) -> bool:
    values = [float(r["value"][1]) if "value" in r else 0.0 for r in result]
    values += [float(v[1]) for r in result for v in r.get("values", [])]
    return any(math.isfinite(v) for v in values)


def test_span_metrics_carry_the_agent_dimensions(stack: OpsStack) -> None:
    series = stack.prometheus.api(
        "series", **{"match[]": 'traces_span_metrics_calls_total{service_name="agent-demo"}'}
    )
    agents = {s.get("gen_ai_agent_name") for s in series} - {None}
    statuses = {s.get("agent_outcome_status") for s in series}
    operations = {s.get("gen_ai_operation_name") for s in series}
    assert agents >= AGENTS
    assert {"SUCCESS", "FAILURE"} <= statuses
    assert {"invoke_agent", "execute_tool", "invoke_workflow"} <= operations
    assert any(s.get("error_type") for s in series)
    assert {s.get("deployment_environment_name") for s in series} == {"e2e"}
    # Per-process instance ids keep each process's cumulative counters apart; any
    # other id (trace, call, conversation, workflow run) would be a series per request.
    ids = {label for s in series for label in s if label.endswith("_id")}
    assert ids <= {"service_instance_id", "collector_instance_id"}


def test_our_metrics_reach_prometheus(stack: OpsStack) -> None:
    missing = OUR_METRICS - stack.prometheus.series_names()
    assert not missing


@pytest.mark.parametrize(("panel", "expr"), ops_harness.dashboard_queries())
def test_every_dashboard_query_returns_data(stack: OpsStack, panel: str, expr: str) -> None:
    result = stack.prometheus.query(ops_harness.substitute_variables(expr))
    assert result, f"{panel}: no data for {expr}"
    assert _finite(result), f"{panel}: only NaN/Inf for {expr}: {result[:3]}"


def test_every_dashboard_variable_has_values(stack: OpsStack) -> None:
    for variable in ops_harness.dashboard_json()["templating"]["list"]:
        query = variable["query"]
        inner = query[len("label_values(") : -1]
        selector, _, label = inner.rpartition(",")
        selector = ops_harness.substitute_variables(selector.strip())
        values = stack.prometheus.api(f"label/{label.strip()}/values", **{"match[]": selector})
        assert values, f"variable {variable['name']}: no values for {query}"


def test_every_alert_rule_is_loaded_and_evaluates_without_error(stack: OpsStack) -> None:
    loaded = {
        rule["name"]: rule
        for group in stack.prometheus.rule_groups()
        for rule in group["rules"]
        if rule["type"] == "alerting"
    }
    expected = {name for _, name, _ in ops_harness.alert_rules()}
    assert set(loaded) == expected
    for name, rule in loaded.items():
        assert rule["health"] == "ok", f"{name}: {rule.get('lastError')}"


@pytest.mark.parametrize(
    ("group", "alert", "expr"),
    ops_harness.alert_rules(),
    ids=[name for _, name, _ in ops_harness.alert_rules()],
)
def test_every_alert_rule_signal_returns_data(
    stack: OpsStack, group: str, alert: str, expr: str
) -> None:
    result = stack.prometheus.query(expr)  # valid PromQL, whether or not it fires
    assert isinstance(result, list)
    for signal in ops_harness.alert_signals(expr):
        assert stack.prometheus.query(signal), f"{alert}: no data for {signal}"


def _outcomes(stack: OpsStack) -> list[dict[str, Any]]:
    """What the demo says it did: the data of every OutcomeEvent in its outcome log."""
    lines = stack.outcome_log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["data"] for line in lines if line.endswith("}")]


def _finished_workflows(stack: OpsStack) -> dict[str, dict[str, dict[str, Any]]]:
    """trace id -> span id -> outcome, for every workflow run the log shows finished."""
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for event in _outcomes(stack):
        runs.setdefault(event["trace_id"], {})[event["span_id"]] = event
    return {
        trace_id: spans
        for trace_id, spans in runs.items()
        if any(e["operation"] == "invoke_workflow" for e in spans.values())
    }


def _spans_by_id(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {span["spanID"]: span for span in trace["spans"]}


def test_every_workflow_run_is_a_whole_trace_in_jaeger(stack: OpsStack) -> None:
    runs = _wait(lambda: _finished_workflows(stack), 30, "finished workflow runs", stack)

    def whole(trace_id: str, count: int) -> dict[str, Any] | None:
        found = stack.jaeger.trace(trace_id)
        return found if found and len(found["spans"]) >= count else None

    for trace_id, outcomes in runs.items():
        trace = _wait(
            lambda: whole(trace_id, len(outcomes)),  # noqa: B023 (called in this iteration)
            30,
            f"trace {trace_id} whole in Jaeger",
            stack,
        )
        spans = _spans_by_id(trace)
        assert set(outcomes) <= set(spans), f"trace {trace_id}: outcomes missing in Jaeger"
        # Besides the actions, only the evaluator's feedback on the writer's draft.
        for span_id in set(spans) - set(outcomes):
            feedback = spans[span_id]
            assert feedback["operationName"].startswith("feedback "), feedback["operationName"]
            judged = spans[jaeger_harness.parent_id(feedback) or ""]
            assert judged["operationName"] == "invoke_agent writer"
        for span_id, outcome in outcomes.items():
            span = spans[span_id]
            assert jaeger_harness.parent_id(span) == outcome["parent_span_id"], span_id
            assert jaeger_harness.tags(span)["agent.outcome.status"] == outcome["status"]
        process = trace["processes"][next(iter(spans.values()))["processID"]]
        assert process["serviceName"] == "agent-demo"


def test_workflow_agent_and_tool_spans_nest_with_their_outcomes(stack: OpsStack) -> None:
    traces = _wait(
        lambda: [
            t
            for t in stack.jaeger.traces("agent-demo", operation="invoke_workflow research-report")
            if any(s["operationName"] == "execute_tool web_search" for s in t["spans"])
        ],
        30,
        "workflow traces with tool calls in Jaeger",
        stack,
    )
    seen_statuses: set[str] = set()
    for trace in traces:
        spans = _spans_by_id(trace)
        roots = [s for s in spans.values() if jaeger_harness.parent_id(s) is None]
        assert [r["operationName"] for r in roots] == ["invoke_workflow research-report"]
        root = roots[0]
        root_tags = jaeger_harness.tags(root)
        assert root_tags["gen_ai.operation.name"] == "invoke_workflow"
        assert root_tags["agent.outcome.status"] in {"SUCCESS", "FAILURE", "PARTIAL", "TIMEOUT"}
        children = {
            s["operationName"]: s
            for s in spans.values()
            if jaeger_harness.parent_id(s) == root["spanID"]
        }
        assert {"invoke_agent planner", "invoke_agent researcher"} <= set(children)
        for name, agent in children.items():
            agent_tags = jaeger_harness.tags(agent)
            assert agent_tags["gen_ai.operation.name"] == "invoke_agent", name
            assert agent_tags["gen_ai.agent.name"] == name.removeprefix("invoke_agent ")
            assert "gen_ai.usage.input_tokens" in agent_tags, name
            seen_statuses.add(agent_tags["agent.outcome.status"])
            if agent_tags["agent.outcome.status"] in {"FAILURE", "TIMEOUT"}:
                assert agent_tags.get("error.type"), name
                assert agent_tags.get("error") is True, f"{name}: span status not ERROR"
        researcher = children["invoke_agent researcher"]["spanID"]
        tools = [s for s in spans.values() if jaeger_harness.parent_id(s) == researcher]
        assert {s["operationName"] for s in tools} >= {"execute_tool web_search"}
        for tool in tools:
            tool_tags = jaeger_harness.tags(tool)
            assert tool_tags["gen_ai.operation.name"] == "execute_tool"
            assert tool_tags["gen_ai.tool.name"] == tool["operationName"].split(" ", 1)[1]
            seen_statuses.add(tool_tags["agent.outcome.status"])
    # Seeded failures (flaky search, writer timeouts) reach Jaeger as outcomes.
    assert {"SUCCESS", "FAILURE"} <= seen_statuses


def test_an_exemplar_leads_to_its_trace_in_jaeger(stack: OpsStack) -> None:
    now = time.time()
    params = {
        "query": "traces_span_metrics_duration_milliseconds_bucket",
        "start": str(now - 600),
        "end": str(now),
    }
    data = stack.prometheus.api("query_exemplars", **params)
    exemplars = [
        (series["seriesLabels"], e["labels"]["trace_id"])
        for series in data
        for e in series.get("exemplars", [])
        if e["labels"].get("trace_id")
    ]
    assert exemplars, "no exemplars with a trace_id"
    labels, trace_id = next(
        (labels, t) for labels, t in exemplars if labels.get("gen_ai_agent_name") == "researcher"
    )
    trace = _wait(lambda: stack.jaeger.trace(trace_id), 30, f"trace {trace_id} in Jaeger", stack)
    names = {span["operationName"] for span in trace["spans"]}
    # The exemplar's series names the span; the trace in Jaeger holds that very span.
    assert labels["span_name"] in names
    assert "invoke_workflow research-report" in names


def test_the_collector_reports_spans_sent_to_the_trace_backend(stack: OpsStack) -> None:
    expr = 'sum({__name__=~"otelcol_exporter_sent_spans(_total)?", exporter="otlp_grpc/jaeger"})'
    result = _wait(
        lambda: [r for r in stack.prometheus.query(expr) if float(r["value"][1]) > 0],
        30,
        "spans sent to the trace backend in the Collector's own metrics",
        stack,
    )
    assert result
