"""``monitor --from-analytics`` without the analytics topics: it says so and recomputes.

(With the topics, the Spark job's own output is read in tests/spark/test_analytics.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.kafka.broker import create_topic

pytestmark = pytest.mark.integration


def test_without_the_metrics_topic_the_monitor_recomputes_from_the_outcomes(
    kafka_bootstrap: str,
) -> None:
    outcomes = create_topic(kafka_bootstrap, f"outcomes-{uuid.uuid4().hex[:8]}", 1)
    missing = f"agent-metrics-{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, "-m", "otel_agents.cli", "monitor", "--status", "--json"]
    argv += ["--bootstrap-servers", kafka_bootstrap, "--topic", outcomes]
    out = subprocess.run(
        [*argv, "--from-analytics", "--metrics-topic", missing],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert f"no topic {missing}" in out.stderr
    summary = json.loads(out.stdout)  # the ordinary summary, still valid JSON
    assert "metrics" not in summary
