"""The ``kafka_outcomes`` entry point under load: the SDK's batch processor must not drop
outcomes silently (item 16).

``OTEL_TRACES_EXPORTER=kafka_outcomes`` with no distro: the SDK wraps our exporter in its
``BatchSpanProcessor`` (queue 2,048, drops the oldest span when full, tells no one). A
tight loop of decorated calls overfills it; a real consumer counts what arrived.

Known gap (issue 16 stays open on it): the outcome processor joins the provider at the
exporter's first export, so spans the batch processor drops before that export can still
be lost. The test checks the guarantee that holds: every call that ended after the join
arrives, and the join happens within the first few thousand calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from otel_agents.events.outcome import OutcomeEvent
from tests.kafka.broker import read_topic

pytestmark = pytest.mark.integration

_CALLS = 30_000
_APP = f"""
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
import otel_agents as oa

_OTelSDKConfigurator().configure()

@oa.agent(name="tight-loop")
def agent(i):
    oa.record(metadata={{"call": i}})
    return i

for i in range({_CALLS}):
    agent(i)

from opentelemetry import trace
from otel_agents import _otel_private
[exporter] = _otel_private.span_exporters(trace.get_tracer_provider())
print("ROUTED_SINCE", exporter._routing_since)
"""


def test_entry_point_route_delivers_every_outcome_under_a_tight_loop(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "OTEL_TRACES_EXPORTER": "kafka_outcomes",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "OTEL_AGENTS_KAFKA_TOPIC": kafka_topic,
        "OTEL_AGENTS_KAFKA_SPOOL_DIR": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _APP], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    messages = read_topic(kafka_bootstrap, kafka_topic, expect=_CALLS, timeout=120)
    events = [OutcomeEvent.from_json_bytes(m.value()) for m in messages]  # type: ignore[attr-defined]
    [routed_since] = [
        int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("ROUTED_SINCE")
    ]
    # End times are in microseconds: a call ending within 1 us of the join may take either
    # path (both give the same event id), so the bound starts 1 us later.
    after_join = sorted(
        {int(e.metadata["call"]) for e in events if _end_ns(e.end_time) > routed_since + 1000}
    )
    assert after_join, "no outcome ended after the join"
    assert after_join[0] < 5_000, f"the outcome processor joined only at call {after_join[0]}"
    expected = list(range(after_join[0], _CALLS))
    assert after_join == expected, f"{len(expected) - len(after_join)} outcomes lost after the join"


def _end_ns(end_time: str | None) -> int:
    assert end_time is not None
    stamp = datetime.fromisoformat(end_time.replace("Z", "+00:00"))
    return int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000
