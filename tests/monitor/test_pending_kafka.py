"""In-flight (PENDING) events through the real pipeline: decorator → processor → Kafka."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import otel_agents as oa
from otel_agents.monitor.kafka_source import KafkaSource
from otel_agents.monitor.state import MonitorState
from tests.kafka.broker import read_topic


@pytest.fixture
def kafka_configured(kafka_bootstrap: str, kafka_topic: str, tmp_path: Path) -> Iterator[str]:
    oa.configure(
        service_name="pending-test",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic=kafka_topic,
        spool_dir=tmp_path / "spool",
        emit_pending=True,
    )
    yield kafka_topic
    oa.shutdown()


@oa.agent(name="long-runner")
def long_runner(release: threading.Event) -> str:
    release.wait(20)
    return "done"


@oa.agent(name="quick")
def quick() -> str:
    return "done"


def test_a_long_run_is_visible_while_it_runs(kafka_bootstrap: str, kafka_configured: str) -> None:
    topic = kafka_configured
    source = KafkaSource(kafka_bootstrap, [topic], from_beginning=True)
    state = MonitorState(slow_after_s=0.5)
    release = threading.Event()
    worker = threading.Thread(target=long_runner, args=(release,))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while state.in_flight_agents == 0 and time.monotonic() < deadline:
            for value in source.poll(0.2):
                state.ingest(value)
        assert state.in_flight_agents == 1
        [(running, _)] = state.running()
        assert running.name == "long-runner"
    finally:
        release.set()
        worker.join()
    oa.force_flush()
    deadline = time.monotonic() + 30
    while state.in_flight_agents and time.monotonic() < deadline:
        for value in source.poll(0.2):
            state.ingest(value)
    source.close()
    assert state.in_flight_agents == 0
    assert state.agents["long-runner"].calls == 1


def test_pending_event_precedes_and_is_superseded_by_the_final_one(
    kafka_bootstrap: str, kafka_configured: str
) -> None:
    release = threading.Event()
    threading.Timer(0.5, release.set).start()
    long_runner(release)
    quick()
    oa.force_flush()
    messages = read_topic(kafka_bootstrap, kafka_configured, expect=3)
    events = [json.loads(m.value())["data"] for m in messages]  # type: ignore[attr-defined]
    runs = [e for e in events if e["name"] == "long-runner"]
    assert [(e["event_type"], e["status"]) for e in runs] == [
        ("pending", "PENDING"),
        ("outcome", "SUCCESS"),
    ]
    pending, final = runs
    assert (pending["trace_id"], pending["span_id"]) == (final["trace_id"], final["span_id"])
    assert pending["event_id"] != final["event_id"]
    assert pending["end_time"] is None and pending["duration_ms"] is None
    # A run that ended before the worker got to it needs no preview (its final event is
    # it); if the worker happened to wake mid-call, the preview still comes first.
    assert [e["event_type"] for e in events if e["name"] == "quick"] in (
        ["outcome"],
        ["pending", "outcome"],
    )
    keys = {m.key() for m in messages if json.loads(m.value())["data"]["name"] == "long-runner"}  # type: ignore[attr-defined]
    assert len(keys) == 1  # same key (trace id): same partition, so the order holds
