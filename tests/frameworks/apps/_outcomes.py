"""Shared by the framework apps: configure otel-agents from the test's environment, and
report what the app expects (the fake model's usage, run names) as the last stdout line.

Environment: OUTCOME_LOG (path), optional KAFKA_BOOTSTRAP/KAFKA_TOPIC, CAPTURE (true/false).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import otel_agents as oa

#: Planted in every prompt: a plain marker (only the content policy can keep it out) and
#: an API key (the redaction patterns must catch it when content is captured).
MARKER = "PLANTED-MARKER-4f7c9e"
API_KEY = "sk-plantedSECRET0123456789abcdef"
PROMPT = f"What is the weather in Paris? ({MARKER} api_key={API_KEY})"


def configure(service: str) -> oa.Telemetry:
    kafka = os.environ.get("KAFKA_BOOTSTRAP")
    return oa.configure(
        service_name=service,
        outcome_log=os.environ["OUTCOME_LOG"],
        kafka_bootstrap_servers=kafka or None,
        kafka_topic=os.environ.get("KAFKA_TOPIC") or None,
        capture_content=os.environ.get("CAPTURE", "false") == "true",
    )


def finish(expected: dict[str, Any]) -> None:
    telemetry = oa.get_telemetry()
    stats = telemetry.stats() if telemetry is not None else {}
    oa.force_flush()
    oa.shutdown()
    sys.stdout.write("\nEXPECTED " + json.dumps({**expected, "stats": stats}) + "\n")
    sys.stdout.flush()
