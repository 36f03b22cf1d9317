"""The records the analytics job publishes, and their deterministic ids. No Spark needed.

    window_id("metrics", "shop", "agent", "writer", 60, "2026-11-29T10:01:00Z")
    load_metrics_schema()["$id"]         # 'urn:otel-agents:schema:agent-metrics:1'

Every record carries an ``id`` that is a pure function of what it describes (a window:
its topic, group and start; a joined pair: the feedback id). The job's Kafka sink is
at-least-once: after a crash the last micro-batch may be written again, with the same
ids and the same figures. Consumers keep the last record per ``id`` (an upsert), which
makes the stream exactly-once for them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from otel_agents.events import schema as schema_files

METRICS_TYPE = "otel_agents.agent_metrics.v1"
LEARNING_TYPE = "otel_agents.agent_learning.v1"
SCHEMA_VERSION = "1.0"
RECORD_WINDOW = "window"
RECORD_PAIR = "pair"
#: Dead-letter headers: why the record was set aside and where it came from.
HEADER_REASON = "otel-agents-dead-letter-reason"
HEADER_SOURCE = "otel-agents-dead-letter-source"
#: What a window id is made of, joined by "|" (the job builds the same text in Spark SQL).
ID_SEPARATOR = "|"


def window_id(*parts: object) -> str:
    """The id of a window record: 32 hex digits of SHA-256 over its parts.

    window_id("metrics", service, kind, name, window_seconds, window_start_rfc3339)
    window_id("learning", service, agent, model or "", agent_version or "", seconds, start)
    """
    text = ID_SEPARATOR.join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_metrics_schema() -> dict[str, Any]:
    """The agent-metrics v1 JSON Schema (draft 2020-12) shipped in the package."""
    return schema_files.load("agent-metrics-v1.json")


def load_learning_schema() -> dict[str, Any]:
    """The agent-learning v1 JSON Schema (draft 2020-12) shipped in the package."""
    return schema_files.load("agent-learning-v1.json")
