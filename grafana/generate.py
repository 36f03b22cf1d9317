"""Generates grafana/dashboards/agent-outcomes.json, the "Agent outcomes" dashboard.

The JSON is checked in (Grafana provisions it from the file); this code is its source.
Regenerate after an edit, and the tests fail while the two differ::

    python grafana/generate.py            # writes the file
    python grafana/generate.py --check    # exit 1 if the file is stale

Queries read the Collector's span metrics (``traces_span_metrics_*``: every agent,
tool and workflow span, by outcome status) and otel-agents' own OTel metrics (tokens,
cost, scores, workflow durations). ``PANEL_QUERIES`` lists every PromQL expression,
so the end-to-end test can run each against a real Prometheus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    prometheus,
    stat,
    table,
    timeseries,
)
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import prometheus as prometheus_models

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "agent-outcomes.json"

#: Datasource uids, fixed in grafana/provisioning/datasources/datasources.yaml.
PROMETHEUS = dashboard_models.DataSourceRef(type_val="prometheus", uid="prometheus")
JAEGER = dashboard_models.DataSourceRef(type_val="jaeger", uid="jaeger")

# Every query is narrowed by the dashboard's variables. "All" is the regex .*, which
# also matches a missing label (a service without deployment.environment.name).
SEL = 'service_name=~"$service", deployment_environment_name=~"$environment"'
AGENT_SEL = f'{SEL}, gen_ai_agent_name=~"$agent"'
CALLS = "traces_span_metrics_calls_total"
DURATION_BUCKET = "traces_span_metrics_duration_milliseconds_bucket"
TOKENS = "gen_ai_client_token_usage"
COST = "agent_outcome_cost_usd"
FEEDBACK = "otel_agents_feedback_total"
POSITIVE_SEL = f'{AGENT_SEL}, agent_feedback_kind="positive"'
AGENT_OP = f'{AGENT_SEL}, gen_ai_operation_name="invoke_agent"'
TOOL_OP = f'{SEL}, gen_ai_operation_name="execute_tool"'
FAILED_SEL = f'{SEL}, error_type!=""'
WORKFLOW_BUCKET = "gen_ai_workflow_duration_seconds_bucket"
RATE = "$__rate_interval"


def _rate(metric: str, selector: str, window: str = RATE) -> str:
    return f"rate({metric}{{{selector}}}[{window}])"


def _increase(metric: str, selector: str) -> str:
    return _increase_over(metric, selector, "$__range")


def _increase_over(metric: str, selector: str, window: str) -> str:
    return f"increase({metric}{{{selector}}}[{window}])"


#: (panel title, PromQL) for every Prometheus query of the dashboard, in order.
PANEL_QUERIES: list[tuple[str, str]] = []


def _query(
    panel: str, expr: str, legend: str = "", ref: str = "A", *, instant: bool = False
) -> prometheus.Dataquery:
    """One Prometheus query; recorded in PANEL_QUERIES for the end-to-end test."""
    PANEL_QUERIES.append((panel, expr))
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(PROMETHEUS)
    if legend:
        q = q.legend_format(legend)
    q = q.instant().format(prometheus_models.PromQueryFormat.TABLE) if instant else q.range()
    return q


def _exemplars(q: prometheus.Dataquery) -> prometheus.Dataquery:
    """Show exemplars: each links a data point to its trace in Jaeger."""
    return q.exemplar(True)


def _timeseries(title: str, description: str, unit: str, width: int = 12) -> timeseries.Panel:
    legend = (
        common.VizLegendOptions()
        .display_mode(common_models.LegendDisplayMode.TABLE)
        .placement(common_models.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["mean", "max", "lastNotNull"])
    )
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(width)
        .height(8)
        .line_width(1)
        .fill_opacity(10)
        .legend(legend)
        .tooltip(common.VizTooltipOptions().mode(common_models.TooltipDisplayMode.MULTI))
    )


def _stat(title: str, description: str, unit: str, expr: str) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(6)
        .height(4)
        .graph_mode(common_models.BigValueGraphMode.AREA)
        .with_target(_query(title, expr))
    )


def _success_ratio(by: str) -> str:
    """Share of agent runs with status SUCCESS; `or 0 *` keeps all-failing agents."""
    group = f"sum by ({by}) " if by else "sum "
    ok = (
        f'{group}(rate({CALLS}{{{AGENT_SEL}, gen_ai_operation_name="invoke_agent", '
        f'agent_outcome_status="SUCCESS"}}[{RATE}]))'
    )
    total = f'{group}(rate({CALLS}{{{AGENT_SEL}, gen_ai_operation_name="invoke_agent"}}[{RATE}]))'
    return f"({ok} or 0 * {total}) / {total}"


def _quantiles(panel: str, metric: str, operation_sel: str, by: str) -> list[prometheus.Dataquery]:
    qs = []
    for ref, q in (("A", "0.5"), ("B", "0.95"), ("C", "0.99")):
        expr = (
            f"histogram_quantile({q}, sum by ({by}, le) "
            f"(rate({metric}{{{operation_sel}}}[{RATE}])))"
        )
        label = "p" + str(round(float(q) * 100))
        qs.append(_exemplars(_query(panel, expr, f"{{{{{by}}}}} {label}", ref)))
    return qs


def _mean_score(panel: str, metric: str) -> prometheus.Dataquery:
    expr = (
        f"sum by (gen_ai_agent_name) (rate({metric}_sum{{{AGENT_SEL}}}[{RATE}]))"
        f" / sum by (gen_ai_agent_name) (rate({metric}_count{{{AGENT_SEL}}}[{RATE}]))"
    )
    return _query(panel, expr, "{{gen_ai_agent_name}}")


def _row(title: str) -> dashboard.Row:
    return dashboard.Row(title)


class _JaegerSearch(cogbuilder.Builder[cogvariants.Dataquery]):
    """A Jaeger trace search (the SDK has no builder for the Jaeger datasource)."""

    class _Query(cogvariants.Dataquery):
        def to_json(self) -> dict[str, object]:
            return {
                "refId": "A",
                "datasource": JAEGER.to_json(),
                "queryType": "search",
                "service": "${service:raw}",
                "limit": 20,
            }

    def build(self) -> cogvariants.Dataquery:
        return self._Query()


def _variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(query)
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def build_dashboard() -> dashboard.Dashboard:
    """The Agent outcomes dashboard, as a foundation-SDK builder."""
    PANEL_QUERIES.clear()
    d = (
        dashboard.Dashboard("Agent outcomes")
        .uid("otel-agents-outcomes")
        .description(
            "Outcomes, latency, tokens, cost and quality of AI agents instrumented "
            "with otel-agents (span metrics from the OpenTelemetry Collector)."
        )
        .tags(["otel-agents", "genai", "agents"])
        .refresh("30s")
        .time("now-1h", "now")
        .timezone("browser")
        .tooltip(dashboard_models.DashboardCursorSync.CROSSHAIR)
        .with_variable(_variable("service", "Service", f"label_values({CALLS}, service_name)"))
        .with_variable(
            _variable(
                "environment",
                "Environment",
                f'label_values({CALLS}{{service_name=~"$service"}}, deployment_environment_name)',
            )
        )
        .with_variable(
            _variable(
                "agent",
                "Agent",
                f'label_values({CALLS}{{{SEL}, gen_ai_operation_name="invoke_agent"}}, '
                "gen_ai_agent_name)",
            )
        )
        .link(
            dashboard.DashboardLink("Jaeger")
            .type(dashboard_models.DashboardLinkType.LINK)
            .url("http://localhost:16686/search?service=${service:raw}")
            .icon("external link")
            .target_blank(True)
        )
    )

    # --- Overview ---------------------------------------------------------------
    d = d.with_row(_row("Overview"))
    d = d.with_panel(
        _stat(
            "Agent success rate",
            "Share of agent runs that ended with status SUCCESS.",
            "percentunit",
            _success_ratio(""),
        )
    )
    d = d.with_panel(
        _stat(
            "Agent runs per second",
            "invoke_agent spans per second.",
            "reqps",
            f'sum(rate({CALLS}{{{AGENT_SEL}, gen_ai_operation_name="invoke_agent"}}[{RATE}]))',
        )
    )
    d = d.with_panel(
        _stat(
            "Tokens per hour",
            "Input plus output tokens, projected over an hour.",
            "short",
            f"sum(rate(gen_ai_client_token_usage_sum{{{AGENT_SEL}}}[{RATE}])) * 3600",
        )
    )
    d = d.with_panel(
        _stat(
            "Cost per hour",
            "LLM cost in USD, projected over an hour.",
            "currencyUSD",
            f"sum(rate(agent_outcome_cost_usd_sum{{{AGENT_SEL}}}[{RATE}])) * 3600",
        )
    )

    # --- Outcomes ---------------------------------------------------------------
    d = d.with_row(_row("Outcomes"))
    title = "Success rate per agent"
    d = d.with_panel(
        _timeseries(title, "Share of each agent's runs that succeeded.", "percentunit")
        .min(0)
        .max(1)
        .with_target(_query(title, _success_ratio("gen_ai_agent_name"), "{{gen_ai_agent_name}}"))
    )
    title = "Outcomes by status"
    d = d.with_panel(
        _timeseries(
            title,
            "Finished agent actions per second by outcome status (otel-agents' outcome counter).",
            "ops",
        )
        .stacking(common.StackingConfig().mode(common_models.StackingMode.NORMAL))
        .fill_opacity(60)
        .with_target(
            _query(
                title,
                f"sum by (agent_outcome_status) ({_rate('agent_outcomes_total', AGENT_SEL)})",
                "{{agent_outcome_status}}",
            )
        )
    )
    title = "Top error types"
    d = d.with_panel(
        bargauge.Panel()
        .title(title)
        .description("Failed agent and tool spans by error.type over the selected range.")
        .datasource(PROMETHEUS)
        .span(12)
        .height(8)
        .unit("short")
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.BASIC)
        .with_target(
            _query(
                title,
                f"topk(10, sum by (error_type) ({_increase(CALLS, FAILED_SEL)}))",
                "{{error_type}}",
                instant=True,
            )
        )
    )
    title = "Outcomes per agent"
    d = d.with_panel(
        table.Panel()
        .title(title)
        .description("Agent runs by outcome status over the selected range.")
        .datasource(PROMETHEUS)
        .span(12)
        .height(8)
        .with_target(
            _query(
                title,
                f"sum by (gen_ai_agent_name, agent_outcome_status) ({_increase(CALLS, AGENT_OP)})",
                instant=True,
            )
        )
    )

    # --- Latency ----------------------------------------------------------------
    d = d.with_row(_row("Latency"))
    title = "Agent latency p50 / p95 / p99"
    agent_latency = _timeseries(
        title, "invoke_agent span duration; exemplars link to traces.", "ms"
    )
    for q in _quantiles(
        title,
        DURATION_BUCKET,
        f'{AGENT_SEL}, gen_ai_operation_name="invoke_agent"',
        "gen_ai_agent_name",
    ):
        agent_latency = agent_latency.with_target(q)
    d = d.with_panel(agent_latency)
    title = "Tool latency p50 / p95 / p99"
    tool_latency = _timeseries(title, "execute_tool span duration; exemplars link to traces.", "ms")
    for q in _quantiles(
        title, DURATION_BUCKET, f'{SEL}, gen_ai_operation_name="execute_tool"', "gen_ai_tool_name"
    ):
        tool_latency = tool_latency.with_target(q)
    d = d.with_panel(tool_latency)
    title = "Workflow duration p50 / p95 / p99"
    workflow = _timeseries(title, "gen_ai.workflow.duration from otel-agents' metrics.", "s")
    for q in _quantiles(
        title, "gen_ai_workflow_duration_seconds_bucket", SEL, "gen_ai_workflow_name"
    ):
        workflow = workflow.with_target(q)
    d = d.with_panel(workflow)

    # --- Tokens and cost --------------------------------------------------------
    d = d.with_row(_row("Tokens and cost"))
    title = "Tokens in / out"
    d = d.with_panel(
        _timeseries(
            title, "gen_ai.client.token.usage per second, by token type.", "short"
        ).with_target(
            _query(
                title,
                f"sum by (gen_ai_token_type) ({_rate(TOKENS + '_sum', AGENT_SEL)})",
                "{{gen_ai_token_type}}",
            )
        )
    )
    title = "Cost per hour by agent"
    d = d.with_panel(
        _timeseries(title, "LLM cost in USD, projected over an hour.", "currencyUSD").with_target(
            _query(
                title,
                f"sum by (gen_ai_agent_name) ({_rate(COST + '_sum', AGENT_SEL)}) * 3600",
                "{{gen_ai_agent_name}}",
            )
        )
    )
    title = "Tokens per run by model"
    d = d.with_panel(
        _timeseries(
            title, "Mean tokens per LLM-using action, by model and token type.", "short"
        ).with_target(
            _query(
                title,
                f"sum by (gen_ai_request_model, gen_ai_token_type) "
                f"(rate(gen_ai_client_token_usage_sum{{{AGENT_SEL}}}[{RATE}]))"
                f" / sum by (gen_ai_request_model, gen_ai_token_type) "
                f"(rate(gen_ai_client_token_usage_count{{{AGENT_SEL}}}[{RATE}]))",
                "{{gen_ai_request_model}} {{gen_ai_token_type}}",
            )
        )
    )

    # --- Quality ----------------------------------------------------------------
    d = d.with_row(_row("Quality"))
    for title, metric in (
        ("Quality score", "agent_outcome_quality_score"),
        ("Confidence score", "agent_outcome_confidence_score"),
    ):
        d = d.with_panel(
            _timeseries(title, f"Mean {title.lower()} per agent.", "percentunit", width=8)
            .min(0)
            .max(1)
            .with_target(_mean_score(title, metric))
        )
    title = "Reward"
    # Rewards may be negative, so they are a running sum (a gauge) and a count.
    d = d.with_panel(
        _timeseries(title, "Mean reward per agent.", "short", width=8).with_target(
            _query(
                title,
                f"sum by (gen_ai_agent_name) (delta(agent_outcome_reward{{{AGENT_SEL}}}[{RATE}]))"
                " / sum by (gen_ai_agent_name) "
                f"({_increase_over('agent_outcome_rewarded_total', AGENT_SEL, RATE)})",
                "{{gen_ai_agent_name}}",
            )
        )
    )

    # --- Feedback ---------------------------------------------------------------
    d = d.with_row(_row("Feedback"))
    title = "Feedback by kind"
    d = d.with_panel(
        _timeseries(
            title, "Feedback received per second, by agent and kind (oa.feedback).", "ops"
        ).with_target(
            _query(
                title,
                f"sum by (gen_ai_agent_name, agent_feedback_kind) ({_rate(FEEDBACK, AGENT_SEL)})",
                "{{gen_ai_agent_name}} {{agent_feedback_kind}}",
            )
        )
    )
    title = "Positive feedback rate"
    d = d.with_panel(
        _timeseries(title, "Share of feedback that is positive, per agent.", "percentunit")
        .min(0)
        .max(1)
        .with_target(
            _query(
                title,
                f"sum by (gen_ai_agent_name) "
                f"({_rate(FEEDBACK, POSITIVE_SEL)})"
                f" / sum by (gen_ai_agent_name) ({_rate(FEEDBACK, AGENT_SEL)})",
                "{{gen_ai_agent_name}}",
            )
        )
    )

    # --- Tools ------------------------------------------------------------------
    d = d.with_row(_row("Tools"))
    title = "Tool calls per second"
    d = d.with_panel(
        _timeseries(title, "execute_tool spans per second, by tool.", "ops").with_target(
            _query(
                title,
                f"sum by (gen_ai_tool_name) ({_rate(CALLS, TOOL_OP)})",
                "{{gen_ai_tool_name}}",
            )
        )
    )
    title = "Tool failure rate"
    d = d.with_panel(
        _timeseries(title, "Share of each tool's calls that did not succeed.", "percentunit")
        .min(0)
        .max(1)
        .with_target(
            _query(
                title,
                f"(sum by (gen_ai_tool_name) (rate({CALLS}{{{SEL}, "
                f'gen_ai_operation_name="execute_tool", agent_outcome_status!="SUCCESS"}}[{RATE}]))'
                f" or 0 * sum by (gen_ai_tool_name) (rate({CALLS}{{{SEL}, "
                f'gen_ai_operation_name="execute_tool"}}[{RATE}])))'
                f" / sum by (gen_ai_tool_name) (rate({CALLS}{{{SEL}, "
                f'gen_ai_operation_name="execute_tool"}}[{RATE}]))',
                "{{gen_ai_tool_name}}",
            )
        )
    )

    # --- Traces -----------------------------------------------------------------
    d = d.with_row(_row("Traces"))
    d = d.with_panel(
        table.Panel()
        .title("Recent traces")
        .description("The latest traces of the selected service in Jaeger; click a trace id.")
        .datasource(JAEGER)
        .span(24)
        .height(10)
        .with_target(_JaegerSearch())
    )
    return d


def render() -> str:
    """The dashboard JSON exactly as checked in."""
    model = build_dashboard().build()
    return json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the dashboard, or with --check report whether the checked-in file is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date: run python grafana/generate.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
