"""The monitor's Kafka source against a real broker: live group consumption and snapshots."""

from __future__ import annotations

import time
import uuid

from confluent_kafka.cimpl import Producer

from otel_agents.monitor.kafka_source import KafkaSource
from otel_agents.monitor.state import MonitorState
from tests.kafka.broker import create_topic
from tests.monitor import _events


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for value in values:
        producer.produce(topic, value)
    assert producer.flush(30) == 0


def _topics(bootstrap: str) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return (
        create_topic(bootstrap, f"outcomes-{suffix}"),
        create_topic(bootstrap, f"feedback-{suffix}"),
    )


def test_snapshot_reads_everything_and_counts_what_it_cannot_use(kafka_bootstrap: str) -> None:
    outcomes, feedback = _topics(kafka_bootstrap)
    good = [_events.outcome("planner") for _ in range(50)]
    _produce(
        kafka_bootstrap, outcomes, [*good, b"garbage", b'{"type": "com.example.x", "data": {}}']
    )
    _produce(
        kafka_bootstrap, feedback, [_events.feedback(_events.event_id_of(good[0]), "positive")]
    )
    source = KafkaSource(kafka_bootstrap, [outcomes, feedback], snapshot=True)
    state = MonitorState()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        batch = source.poll(0.2)
        for value in batch:
            state.ingest(value)
        if not batch and source.caught_up():
            break
    source.close()
    assert (state.outcomes, state.malformed, state.foreign) == (50, 1, 1)
    assert state.agents["planner"].feedback["positive"] == 1


def test_live_group_sees_new_messages(kafka_bootstrap: str) -> None:
    outcomes, feedback = _topics(kafka_bootstrap)
    source = KafkaSource(kafka_bootstrap, [outcomes, feedback], from_beginning=True)
    state = MonitorState()
    _produce(kafka_bootstrap, outcomes, [_events.outcome("coder", "FAILURE") for _ in range(20)])
    deadline = time.monotonic() + 30
    while state.outcomes < 20 and time.monotonic() < deadline:
        for value in source.poll(0.2):
            state.ingest(value)
    source.close()
    assert state.outcomes == 20
    assert state.agents["coder"].success_rate == 0.0
    assert source.group_id.startswith("otel-agents-monitor-")


def test_a_missing_topic_is_reported_not_raised(kafka_bootstrap: str) -> None:
    source = KafkaSource(kafka_bootstrap, [f"absent-{uuid.uuid4().hex[:8]}"])
    deadline = time.monotonic() + 10
    while not source.status() and time.monotonic() < deadline:
        assert source.poll(0.2) == []
    source.close()
    assert source.status()  # e.g. "Subscribed topic not available: ..."
