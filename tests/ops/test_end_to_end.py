"""End to end with the real components: the demo → the Collector built from the
manifest → Prometheus (Debian's) and a trace backend, then every dashboard query and
every alert rule against that Prometheus.

The trace backend is an OTLP/gRPC receiver in the test (ops_harness.OtlpTraceSink)
standing in for Jaeger v2, which cannot be built from the Go module proxy here; the
Collector's ``otlp_grpc/jaeger`` exporter sends to it exactly as it would to Jaeger.
"""

from __future__ import annotations

import math
import time
from typing import Any

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


def test_traces_reach_the_trace_backend_with_outcome_attributes(stack: OpsStack) -> None:
    spans = _wait(lambda: stack.traces.spans(), 30, "spans at the trace backend", stack)
    names = {span.name for _, _, span in spans}
    assert "invoke_workflow research-report" in names
    assert {f"invoke_agent {a}" for a in AGENTS} <= names
    assert "execute_tool web_search" in names
    by_name = {span.name: (resource, attrs) for resource, attrs, span in spans}
    resource, attrs = by_name["invoke_agent researcher"]
    assert resource["service.name"] == "agent-demo"
    assert attrs["gen_ai.operation.name"] == "invoke_agent"
    assert attrs["gen_ai.agent.name"] == "researcher"
    assert attrs["agent.outcome.status"] in {"SUCCESS", "PARTIAL", "FAILURE", "TIMEOUT"}
    assert "gen_ai.usage.input_tokens" in attrs
    failed = [a for _, a, s in spans if a.get("agent.outcome.status") == "FAILURE"]
    assert failed and all(a.get("error.type") for a in failed)
    tool_attrs = by_name["execute_tool web_search"][1]
    assert tool_attrs["gen_ai.tool.name"] == "web_search"


def test_exemplars_link_latency_to_traces_at_the_backend(stack: OpsStack) -> None:
    now = time.time()
    params = {
        "query": "traces_span_metrics_duration_milliseconds_bucket",
        "start": str(now - 600),
        "end": str(now),
    }
    data = stack.prometheus.api("query_exemplars", **params)
    trace_ids = {
        e["labels"].get("trace_id") for series in data for e in series.get("exemplars", [])
    } - {None}
    assert trace_ids, "no exemplars with a trace_id"
    received = {span.trace_id.hex() for _, _, span in stack.traces.spans()}
    assert trace_ids & received, "exemplar trace ids are not traces the backend received"


def test_the_collector_reports_spans_sent_to_the_trace_backend(stack: OpsStack) -> None:
    expr = 'sum({__name__=~"otelcol_exporter_sent_spans(_total)?", exporter="otlp_grpc/jaeger"})'
    result = _wait(
        lambda: [r for r in stack.prometheus.query(expr) if float(r["value"][1]) > 0],
        30,
        "spans sent to the trace backend in the Collector's own metrics",
        stack,
    )
    assert result
