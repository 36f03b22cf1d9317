"""Under ``opentelemetry-instrument`` with the ``kafka_outcomes`` exporter and ``configure()``
in the app: one producer, one record per event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.kafka.broker import read_topic

INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
APP = textwrap.dedent(
    """
    import otel_agents as oa

    oa.configure(service_name="instrumented-app")

    @oa.agent
    def planner(i):
        return i

    for i in range(3):
        planner(i)
    oa.shutdown()
    """
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none", **extra)
    return env


@pytest.mark.integration
def test_configure_under_the_distros_kafka_exporter_adds_no_second_producer(
    tmp_path: Path, kafka_bootstrap: str, kafka_topic: str
) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    env = _env(
        OTEL_TRACES_EXPORTER="kafka_outcomes",
        OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        OTEL_AGENTS_KAFKA_TOPIC=kafka_topic,
        OTEL_AGENTS_KAFKA_SPOOL_DIR=str(tmp_path / "spool"),
    )
    subprocess.run(
        [str(INSTRUMENT), sys.executable, str(app)], env=env, check=True, timeout=120, cwd=tmp_path
    )
    records = read_topic(kafka_bootstrap, kafka_topic, expect=3, settle=2.0)
    ids = [json.loads(r.value())["id"] for r in records]  # type: ignore[attr-defined]
    assert len(ids) == 3 and len(set(ids)) == 3, ids
