"""Feedback through a real broker: oa.feedback and the CLI produce, the monitor consumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

import otel_agents as oa
from otel_agents.events.feedback import FeedbackEvent, load_feedback_schema
from otel_agents.monitor.kafka_source import KafkaSource
from otel_agents.monitor.state import MonitorState
from tests.kafka.broker import create_topic, read_topic

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def feedback_topic(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> str:
    topic = create_topic(kafka_bootstrap, f"feedback-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC", topic)
    return topic


@pytest.fixture
def kafka_configured(
    kafka_bootstrap: str, kafka_topic: str, feedback_topic: str, tmp_path: Path
) -> Iterator[None]:
    oa.configure(
        service_name="feedback-kafka-test",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic=kafka_topic,
        spool_dir=tmp_path / "spool",
    )
    yield
    oa.shutdown()


@oa.agent(name="billing-bot")
def billing_bot() -> str | None:
    oa.record(quality_score=0.3)
    return oa.current_event_id()


def test_feedback_reaches_the_feedback_topic_keyed_by_trace(
    kafka_bootstrap: str, feedback_topic: str, kafka_configured: None
) -> None:
    event_id = billing_bot()
    assert event_id is not None
    sent = oa.feedback(event_id, "correction", correction="the total is 41.20", user="u-7")
    from otel_agents.export import feedback_routes as _feedback_transport

    assert _feedback_transport.flush(10)
    [message] = read_topic(kafka_bootstrap, feedback_topic, expect=1)
    document = json.loads(message.value())  # type: ignore[attr-defined]
    jsonschema.validate(document, load_feedback_schema())
    assert FeedbackEvent.from_dict(document) == sent
    assert sent.agent_name == "billing-bot"
    assert message.key() == sent.trace_id.encode()  # type: ignore[attr-defined, union-attr]
    headers = dict(message.headers())  # type: ignore[attr-defined]
    assert headers["traceparent"] == f"00-{sent.trace_id}-{sent.span_id}-01".encode()


def test_monitor_attributes_feedback_to_the_agent(
    kafka_bootstrap: str, kafka_topic: str, feedback_topic: str, kafka_configured: None
) -> None:
    ids = [billing_bot() for _ in range(4)]
    oa.force_flush()
    for event_id in ids[:3]:
        oa.feedback(event_id, "positive", agent=None)  # type: ignore[arg-type]
    oa.feedback(ids[3], "negative", comment="wrong currency")  # type: ignore[arg-type]
    source = KafkaSource(kafka_bootstrap, [kafka_topic, feedback_topic], from_beginning=True)
    state = MonitorState()
    deadline = time.monotonic() + 30
    while state.feedback_count < 4 and time.monotonic() < deadline:
        for value in source.poll(0.2):
            state.ingest(value)
    source.close()
    stats = state.agents["billing-bot"]
    assert stats.positive_rate == 0.75
    assert stats.reasons.most_common(1) == [("wrong currency", 1)]


def test_cli_feedback_to_kafka(kafka_bootstrap: str, feedback_topic: str) -> None:
    event_id = str(uuid.uuid4())
    env = {**os.environ, "OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC": feedback_topic}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from otel_agents.cli import main; sys.exit(main())",
            "feedback",
            event_id,
            "--negative",
            "--comment",
            "hallucinated a refund policy",
            "--agent",
            "support-bot",
            "--bootstrap-servers",
            kafka_bootstrap,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"negative feedback on {event_id} (support-bot) -> kafka" in result.stdout
    [message] = read_topic(kafka_bootstrap, feedback_topic, expect=1)
    data = json.loads(message.value())["data"]  # type: ignore[attr-defined]
    assert (data["event_id"], data["kind"], data["origin"]) == (event_id, "negative", "cli")


def test_broker_down_never_raises_and_spools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.kafka.broker import free_port

    monkeypatch.setenv("OTEL_AGENTS_KAFKA_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_PRODUCER_MESSAGE_TIMEOUT_MS", "500")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    from otel_agents.export import feedback_routes as _feedback_transport

    oa.feedback(str(uuid.uuid4()), "positive")
    assert _feedback_transport.flush(5) is False
    spooled = [p for p in (tmp_path / "spool").iterdir() if p.suffix in (".seg", ".part")]
    assert spooled
