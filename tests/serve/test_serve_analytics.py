"""``serve --from-analytics`` over the real broker: the windows on agent-metrics are served at
/api/v1/analytics; without the topic the server says so once and recomputes as before.

(The records are built here in the agent-metrics v1 shape and checked against its schema;
the Spark job that publishes them for real is tested in tests/spark/test_analytics.py.)
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer
from jsonschema import Draft202012Validator, FormatChecker

from otel_agents.analytics.records import (
    METRICS_TYPE,
    SCHEMA_VERSION,
    load_metrics_schema,
    window_id,
)
from tests.kafka.broker import create_topic
from tests.serve.conftest import StartServer


def _metrics_record(name: str, start: str, calls: int, successes: int) -> dict[str, Any]:
    end = start[:14] + f"{int(start[14:16]) + 1:02d}" + start[16:]
    return {
        "type": METRICS_TYPE,
        "schema_version": SCHEMA_VERSION,
        "id": window_id("metrics", "shop", "agent", name, 60, start),
        "window_start": start,
        "window_end": end,
        "window_seconds": 60,
        "service": "shop",
        "kind": "agent",
        "name": name,
        "calls": calls,
        "statuses": {
            "SUCCESS": successes,
            "FAILURE": calls - successes,
            "PARTIAL": 0,
            "TIMEOUT": 0,
            "CANCELLED": 0,
        },
        "success_rate": successes / calls,
        "duration_ms": {"p50": 120.0, "p95": 310.5, "p99": 400.0, "max": 401.0},
        "input_tokens": 100 * calls,
        "output_tokens": 40 * calls,
        "cost_usd": 0.002 * calls,
        "quality_mean": None,
        "confidence_mean": None,
        "reward_mean": None,
    }


def _produce(bootstrap: str, topic: str, records: list[dict[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for record in records:
        producer.produce(topic, orjson.dumps(record), key=str(record.get("name", "")).encode())
    assert producer.flush(30) == 0


def _serve(start_server: StartServer, bootstrap: str, metrics: str, learning: str) -> Any:
    suffix = uuid.uuid4().hex[:8]
    outcomes = create_topic(bootstrap, f"outcomes-{suffix}", 1)
    feedback = create_topic(bootstrap, f"feedback-{suffix}", 1)
    return start_server(
        "--bootstrap-servers",
        bootstrap,
        "--topic",
        outcomes,
        "--feedback-topic",
        feedback,
        "--from-analytics",
        "--metrics-topic",
        metrics,
        "--learning-topic",
        learning,
    )


def test_the_analytics_jobs_windows_are_served(
    kafka_bootstrap: str, start_server: StartServer
) -> None:
    suffix = uuid.uuid4().hex[:8]
    metrics = create_topic(kafka_bootstrap, f"agent-metrics-{suffix}", 1)
    learning = create_topic(kafka_bootstrap, f"agent-learning-{suffix}", 1)
    older = _metrics_record("planner", "2026-11-29T10:00:00.000Z", 4, 3)
    planner = _metrics_record("planner", "2026-11-29T10:01:00.000Z", 5, 5)
    writer = _metrics_record("writer", "2026-11-29T10:01:00.000Z", 2, 1)
    validator = Draft202012Validator(load_metrics_schema(), format_checker=FormatChecker())
    for record in (older, planner, writer):
        validator.validate(record)
    # The older planner window arrives late, and the writer's window twice (the job's
    # at-least-once sink): the newest window per group is served, once.
    _produce(kafka_bootstrap, metrics, [planner, writer, older, writer])
    _produce(kafka_bootstrap, learning, [{"type": "unrelated"}])

    server = _serve(start_server, kafka_bootstrap, metrics, learning)
    body: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = server.get("/api/v1/analytics")
        if len(body["metrics"]) == 2 and body["ignored"] == 1:
            break
        time.sleep(0.2)
    assert body["metrics"] == [planner, writer], body
    assert body["learning"] == []
    assert body["ignored"] == 1
    assert metrics in body["source"] and learning in body["source"]
    # The live figures are still there, recomputed from the (empty) outcome topic.
    assert server.get("/api/v1/agents")["agents"] == []


def test_without_the_metrics_topic_it_says_so_once_and_recomputes(
    kafka_bootstrap: str, start_server: StartServer, tmp_path: Path
) -> None:
    missing = f"agent-metrics-{uuid.uuid4().hex[:8]}"
    server = _serve(start_server, kafka_bootstrap, missing, f"agent-learning-{missing[-8:]}")
    server.wait_ready()
    response = server.http.get("/api/v1/analytics")
    assert response.status_code == 404
    assert "--from-analytics" in response.json()["error"]
    assert server.get("/api/v1/agents") == {"agents": [], "in_flight": []}
    server.stop()
    errors = (tmp_path / "serve-0.err").read_text()  # the start_server fixture's stderr file
    assert errors.count(f"no topic {missing}") == 1, errors
