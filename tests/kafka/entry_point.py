"""The environment of an app that selects our exporter by its entry point, as
``opentelemetry-instrument`` or a distro does (``OTEL_TRACES_EXPORTER=kafka_outcomes``)."""

from __future__ import annotations

import os
from pathlib import Path


def entry_point_env(bootstrap: str, topic: str, spool_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without its ``OTEL_*`` settings, plus the entry point's."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "OTEL_TRACES_EXPORTER": "kafka_outcomes",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "OTEL_AGENTS_KAFKA_TOPIC": topic,
        "OTEL_AGENTS_KAFKA_SPOOL_DIR": str(spool_dir),
        **extra,
    }
