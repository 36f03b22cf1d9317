"""Prometheus config and alert rules (promtool), Alertmanager config (amtool)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from ops_harness import PROMETHEUS_CONFIG, REPO, RULES_DIR

RULES = RULES_DIR / "otel-agents.rules.yaml"
RULE_TESTS = REPO / "prometheus" / "tests" / "otel-agents.rules.test.yaml"
AM_DIR = REPO / "alertmanager"

ToolFinder = Callable[[str], str]


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def _alert_names() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


def test_alert_rules_are_valid(system_tool: ToolFinder) -> None:
    result = _run([system_tool("promtool"), "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rule_unit_tests_pass(system_tool: ToolFinder) -> None:
    result = _run([system_tool("promtool"), "test", "rules", str(RULE_TESTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    cases = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fires: set[str] = set()
    silent: set[str] = set()
    for case in cases:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    names = set(_alert_names())
    assert names - fires == set(), "alerts without a firing test"
    assert names - silent == set(), "alerts without a not-firing test"


def test_alerts_cover_the_issue_list() -> None:
    names = set(_alert_names())
    assert {
        "AgentSuccessRateLow",
        "AgentErrorRateSpike",
        "AgentLatencyP95High",
        "TokenBurnRateHigh",
        "CostBurnRateHigh",
        "OutcomeExportFailures",
        "OutcomeSpoolGrowing",
        "AgentTelemetryAbsent",
    } <= names


def test_every_alert_has_a_severity_and_a_summary() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    for rule in (r for g in groups for r in g["rules"] if "alert" in r):
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_prometheus_config_is_valid(system_tool: ToolFinder) -> None:
    result = _run([system_tool("promtool"), "check", "config", str(PROMETHEUS_CONFIG)])
    assert result.returncode == 0, result.stdout + result.stderr


def _render(tmp_path: Path, **env: str) -> Path:
    out = tmp_path / "alertmanager.yml"
    result = _run(
        ["sh", str(AM_DIR / "entrypoint.sh"), "--render-only"],
        env={
            "ALERTMANAGER_TEMPLATE": str(AM_DIR / "alertmanager.yml.tmpl"),
            "ALERTMANAGER_CONFIG": str(out),
            **env,
        },
    )
    assert result.returncode == 0, result.stderr
    return out


def test_alertmanager_config_with_no_receivers_set_is_valid(
    system_tool: ToolFinder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    rendered = _render(tmp_path)
    result = _run([system_tool("amtool"), "check-config", str(rendered)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_receivers_come_from_the_environment(
    system_tool: ToolFinder, tmp_path: Path
) -> None:
    slack = "https://hooks.slack.example/services/T0|B0&x=1'y"
    rendered = _render(
        tmp_path,
        SLACK_WEBHOOK_URL=slack,
        SLACK_CHANNEL="#ops",
        PAGERDUTY_ROUTING_KEY="R0UT1NGKEY",
        ALERT_WEBHOOK_URL="https://alerts.example/hook",
    )
    result = _run([system_tool("amtool"), "check-config", str(rendered)])
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(rendered.read_text())
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["slack"]["slack_configs"][0]["api_url"] == slack
    assert receivers["slack"]["slack_configs"][0]["channel"] == "#ops"
    assert receivers["pagerduty"]["pagerduty_configs"][0]["routing_key"] == "R0UT1NGKEY"
    assert receivers["webhook"]["webhook_configs"][0]["url"] == "https://alerts.example/hook"


def test_critical_alerts_page_and_everything_reaches_the_webhook(
    system_tool: ToolFinder, tmp_path: Path
) -> None:
    rendered = _render(tmp_path)
    amtool = system_tool("amtool")

    def receivers(*labels: str) -> set[str]:
        result = _run([amtool, "config", "routes", "test", f"--config.file={rendered}", *labels])
        assert result.returncode == 0, result.stderr
        return set(result.stdout.strip().split(","))

    assert receivers("severity=critical", "alertname=CostBurnRateHigh") == {
        "pagerduty",
        "slack",
        "webhook",
    }
    assert receivers("severity=warning") == {"slack", "webhook"}
    assert receivers("severity=info") == {"webhook"}
