"""The generated Agent outcomes dashboard and Grafana's provisioning files."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import yaml
from ops_harness import REPO, dashboard_json, dashboard_queries, substitute_variables

GRAFANA = REPO / "grafana"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "datasources.yaml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml"


def dashboard() -> dict[str, Any]:
    return dashboard_json()


# The pinned grafana-foundation-sdk needs Python 3.11 (the dev extra's marker says so).
@pytest.mark.skipif(sys.version_info < (3, 11), reason="grafana-foundation-sdk needs 3.11")
def test_generated_dashboard_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(GRAFANA / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_panel_query_is_valid_promql() -> None:
    import promql_parser  # dev extra

    targets = dashboard_queries()
    assert len(targets) >= 20
    for title, expr in targets:
        try:
            promql_parser.parse(substitute_variables(expr))
        except Exception as exc:  # the parser raises ValueError or its own types
            pytest.fail(f"{title}: {exc}\n{expr}")


def test_the_dashboard_has_the_issue_rows_and_variables() -> None:
    d = dashboard()
    rows = [p["title"] for p in d["panels"] if p["type"] == "row"]
    assert rows == [
        "Overview",
        "Outcomes",
        "Latency",
        "Tokens and cost",
        "Quality",
        "Feedback",
        "Tools",
        "Traces",
    ]
    names = [v["name"] for v in d["templating"]["list"]]
    assert names == ["service", "environment", "agent"]
    titles = {p["title"] for p in d["panels"]}
    assert {
        "Success rate per agent",
        "Outcomes by status",
        "Agent latency p50 / p95 / p99",
        "Tool latency p50 / p95 / p99",
        "Workflow duration p50 / p95 / p99",
        "Tokens in / out",
        "Cost per hour by agent",
        "Quality score",
        "Confidence score",
        "Reward",
        "Top error types",
        "Tool calls per second",
        "Recent traces",
    } <= titles


def test_latency_panels_show_exemplars() -> None:
    for panel in dashboard()["panels"]:
        if panel["title"].startswith(("Agent latency", "Tool latency")):
            assert all(t.get("exemplar") for t in panel["targets"]), panel["title"]


def test_panels_use_provisioned_datasources() -> None:
    provisioned = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    uids = {d["uid"]: d["type"] for d in provisioned}
    for panel in dashboard()["panels"]:
        source = panel.get("datasource")
        if source:
            assert uids.get(source["uid"]) == source["type"], panel["title"]


def test_exemplars_link_to_jaeger() -> None:
    provisioned = {d["uid"]: d for d in yaml.safe_load(DATASOURCES.read_text())["datasources"]}
    (destination,) = provisioned["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert destination == {**destination, "name": "trace_id", "datasourceUid": "jaeger"}
    assert provisioned["jaeger"]["type"] == "jaeger"


def test_the_dashboard_provider_reads_the_mounted_folder() -> None:
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
