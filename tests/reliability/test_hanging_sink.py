"""A sink that hangs never blocks the others, flush, shutdown or exit (item 9).

Each sink has its own lane (queue and thread): the outcome log next to a hung sink gets
every event, ``force_flush`` returns False at its deadline, ``shutdown()`` and interpreter
exit end in bounded time, and what the hung sink never took is counted in ``stats()``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents.events.outcome import OutcomeEvent


class HungSink:
    """Every call blocks until the test releases it (forever, as far as telemetry knows)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        self.entered.set()
        self.release.wait()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.release.wait()
        return True

    def shutdown(self) -> None:
        self.release.wait()


def _timed(call: Callable[[], Any], limit_s: float) -> tuple[Any, float]:
    """Runs ``call`` on a thread; fails the test (instead of hanging it) past ``limit_s``."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(limit_s)
    elapsed = time.monotonic() - start
    assert not thread.is_alive(), f"still blocked after {limit_s} s"
    return (result[0] if result else None), elapsed


@pytest.fixture
def hung() -> Iterator[HungSink]:
    sink = HungSink()
    try:
        yield sink
    finally:
        sink.release.set()  # lets a thread still inside it end
        oa.shutdown()


def _agent() -> Callable[[int], int]:
    @oa.agent(name="steady")
    def steady(i: int) -> int:
        return i

    return steady


def _event_ids(log: Path) -> set[str]:
    return {json.loads(line)["data"]["event_id"] for line in log.read_bytes().splitlines()}


def test_the_log_beside_a_hung_sink_gets_every_event_and_flush_keeps_its_deadline(
    tmp_path: Path, hung: HungSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_SINK_TIMEOUT_MS", "2000")  # shutdown gives up after 2 s
    log = tmp_path / "outcomes.jsonl"
    telemetry = oa.configure(tracer_provider=TracerProvider(), outcome_log=log, sinks=[hung])
    steady = _agent()
    for i in range(20):
        steady(i)

    flushed, flush_s = _timed(lambda: oa.force_flush(1000), limit_s=10)
    assert flushed is False  # the hung sink missed the deadline, and it says so
    assert flush_s < 2.5, flush_s
    assert hung.entered.is_set()
    assert len(_event_ids(log)) == 20

    _, shutdown_s = _timed(oa.shutdown, limit_s=30)
    assert shutdown_s < 6, shutdown_s
    stats = telemetry.stats()
    # Never taken by the hung sink: counted, under its name.
    assert stats["sink_dropped"] == 20, stats
    assert stats["sink_dropped.HungSink"] == 20, stats
    assert "sink_dropped.JsonLinesOutcomeLog" not in stats, stats


def test_a_hung_sinks_full_lane_drops_are_counted_and_warned_once(
    tmp_path: Path,
    hung: HungSink,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_SINK_QUEUE_SIZE", "500")
    # The timeout is every sink's: on a loaded machine one write of the log (a 512-event
    # batch, the GIL shared with the agent and the worker) once took over 300 ms, so the
    # log counted as stuck too. A second tells the hung sink from a slow one.
    monkeypatch.setenv("OTEL_AGENTS_SINK_TIMEOUT_MS", "1000")
    log = tmp_path / "outcomes.jsonl"
    telemetry = oa.configure(tracer_provider=TracerProvider(), outcome_log=log, sinks=[hung])
    steady = _agent()
    calls = 5000
    with caplog.at_level(logging.WARNING, logger="otel_agents"):
        _, calls_s = _timed(lambda: [steady(i) for i in range(calls)], limit_s=60)
        flushed, _ = _timed(lambda: oa.force_flush(1000), limit_s=10)
        assert flushed is False
    assert len(_event_ids(log)) == calls  # the log next to it lost nothing
    stats = telemetry.stats()
    assert stats["dropped"] == 0, stats
    assert "sink_dropped.JsonLinesOutcomeLog" not in stats, stats
    # Its lane holds at most 500 events (plus the batch it is stuck in); the rest were
    # dropped for it alone, and counted.
    assert calls - 1024 <= stats["sink_dropped.HungSink"] <= calls, stats
    warnings = [r.getMessage() for r in caplog.records if "HungSink" in r.getMessage()]
    assert len(warnings) == 1, warnings
    print(f"{calls} calls beside a hung sink took {calls_s:.2f} s")


class SlowFlushSink:
    """Takes batches at once; its force_flush waits until released (Kafka, broker down)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.taken = 0

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        self.taken += len(events)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.release.wait(timeout_millis / 1000)

    def shutdown(self) -> None:
        self.release.set()


def test_a_long_flush_does_not_stop_the_sink_taking_batches(tmp_path: Path) -> None:
    sink = SlowFlushSink()
    oa.configure(tracer_provider=TracerProvider(), outcome_log=tmp_path / "o.jsonl", sinks=[sink])
    try:
        steady = _agent()
        for i in range(20):
            steady(i)
        flushing = threading.Thread(target=oa.force_flush, args=(30_000,), daemon=True)
        flushing.start()  # the sink's flush now blocks for up to 30 s
        time.sleep(0.2)
        for i in range(20):
            steady(i)
        telemetry = oa.get_telemetry()
        assert telemetry is not None
        assert telemetry.processor.drain(time.monotonic() + 5)  # every sink took them
        assert sink.taken == 40
        assert flushing.is_alive()
        sink.release.set()
        flushing.join(5)
        assert oa.force_flush(2000) is True
    finally:
        sink.release.set()
        oa.shutdown()


_EXIT_SCENARIO = """
import sys, threading
import otel_agents as oa

class HungSink:
    def export_events(self, events):
        threading.Event().wait()
    def force_flush(self, timeout_millis=30000):
        threading.Event().wait()
        return True
    def shutdown(self):
        threading.Event().wait()

oa.configure(service_name="exit", outcome_log=sys.argv[1], sinks=[HungSink()])

@oa.agent(name="steady")
def steady(i):
    return i

for i in range(20):
    steady(i)
print("calls done", flush=True)
"""


def test_interpreter_exit_is_bounded_with_a_hung_sink(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    start = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_AGENTS_SINK_TIMEOUT_MS"] = "3000"  # the exit gives up on the sink after 3 s
    proc = subprocess.run(
        [sys.executable, "-c", _EXIT_SCENARIO, str(log)],
        capture_output=True,
        text=True,
        timeout=60,  # a hang fails the test here
        env=env,
        cwd=tmp_path,
    )
    exit_s = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "calls done" in proc.stdout
    assert len(_event_ids(log)) == 20  # flushed at exit despite the hung sink
    assert "HungSink" in proc.stderr  # the exit says which sink it left behind
    print(f"exit with a hung sink took {exit_s:.2f} s")


class SlowShutdownSink:
    """Takes every batch; its shutdown needs 1.5 s (Kafka flushing, then spooling)."""

    shutdown_budget_s = 3.0

    def __init__(self) -> None:
        self.events = 0
        self.finished = threading.Event()

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        self.events += len(events)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        time.sleep(1.5)
        self.finished.set()


def test_shutdown_waits_for_a_sink_that_declares_a_longer_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sink timeout shorter than the sink's own shutdown bound (e.g. the Kafka exporter's
    # OTEL_AGENTS_KAFKA_SHUTDOWN_TIMEOUT_MS + 3 s) must not cut its shutdown short.
    monkeypatch.setenv("OTEL_AGENTS_SINK_TIMEOUT_MS", "300")
    slow = SlowShutdownSink()
    telemetry = oa.configure(tracer_provider=TracerProvider(), outcome_log=None, sinks=[slow])
    steady = _agent()
    for i in range(10):
        steady(i)
    _, shutdown_s = _timed(oa.shutdown, limit_s=30)
    assert slow.finished.is_set(), f"shutdown gave up after {shutdown_s:.2f} s"
    assert slow.events == 10
    assert telemetry.stats().get("sink_dropped", 0) == 0


def test_the_kafka_exporter_asks_for_its_shutdown_timeout_plus_spooling(tmp_path: Path) -> None:
    from otel_agents.export.kafka.exporter import KafkaOutcomeExporter

    exporter = KafkaOutcomeExporter(
        bootstrap_servers="127.0.0.1:1", shutdown_timeout_millis=7000, spool_dir=tmp_path
    )
    try:
        assert exporter.shutdown_budget_s == pytest.approx(10.0)
    finally:
        exporter.shutdown()
