"""The ``kafka_outcomes`` entry point under load: the SDK's batch processor must not drop
outcomes silently (item 16).

``OTEL_TRACES_EXPORTER=kafka_outcomes`` with no distro: the SDK wraps our exporter in its
``BatchSpanProcessor`` (queue 2,048, drops the oldest span when full, tells no one). A
tight loop of decorated calls overfills it; a real consumer counts what arrived.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    return i

for i in range({_CALLS}):
    agent(i)
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
    ids = {OutcomeEvent.from_json_bytes(m.value()).event_id for m in messages}  # type: ignore[attr-defined]
    assert len(ids) == _CALLS, f"{_CALLS - len(ids)} of {_CALLS} outcomes lost"
