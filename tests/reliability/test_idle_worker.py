"""An idle outcome worker sleeps without a timer, and the first span after wakes it.

Spans must still reach the sinks within the export interval, with no flush, however the
wake-ups race with the worker going idle.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from otel_agents.export.processor import OutcomeSpanProcessor
from otel_agents.export.recent import RecentEvents

AGENT = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}


class Pipeline:
    def __init__(self, interval_ms: int, emit_pending: bool = False) -> None:
        self.recent = RecentEvents(maxlen=10_000)
        self.processor = OutcomeSpanProcessor(
            [self.recent], export_interval_ms=interval_ms, emit_pending=emit_pending
        )
        self.provider = TracerProvider()
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("otel_agents")

    def call(self) -> None:
        self.tracer.start_span("invoke_agent a", attributes=AGENT).end()

    def wait_for(self, count: int, timeout_s: float, status: str | None = None) -> float:
        """Seconds until ``count`` events (of ``status``) arrived, with no flush."""
        start = time.monotonic()
        while len(self.recent.query(count=count + 1, status=status)) < count:
            if time.monotonic() - start > timeout_s:
                got = len(self.recent.query(count=count + 1, status=status))
                raise AssertionError(f"{got} of {count} events after {timeout_s} s")
            time.sleep(0.005)
        return time.monotonic() - start

    def worker_switches(self) -> int:
        """Context switches of the worker thread so far (each sleep and wake is one)."""
        tid = self.processor._worker.native_id
        status = Path(f"/proc/self/task/{tid}/status").read_text()
        return sum(
            int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
        )


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    made = Pipeline(interval_ms=20)
    yield made
    made.provider.shutdown()


def test_an_idle_worker_does_not_wake_on_a_timer(pipeline: Pipeline) -> None:
    pipeline.call()
    pipeline.wait_for(1, timeout_s=2)
    time.sleep(0.1)  # the batch's interval is over: the worker goes idle
    before = pipeline.worker_switches()
    time.sleep(1.0)  # 50 intervals of 20 ms
    assert pipeline.worker_switches() - before <= 2


def test_the_first_span_after_an_idle_spell_arrives_within_the_interval(
    pipeline: Pipeline,
) -> None:
    for round_ in range(1, 6):
        time.sleep(0.15)
        pipeline.call()
        assert pipeline.wait_for(round_, timeout_s=2) < 1.0


def test_threads_racing_the_worker_into_idle_lose_no_wake_up() -> None:
    pipeline = Pipeline(interval_ms=1)
    threads, calls = 8, 150
    rng = random.Random(7)
    pauses = [
        [rng.choice((0.0, 0.0005, 0.002, 0.01)) for _ in range(calls)] for _ in range(threads)
    ]

    def agent(mine: list[float]) -> None:
        for pause in mine:
            pipeline.call()
            time.sleep(pause)

    try:
        workers = [threading.Thread(target=agent, args=(p,)) for p in pauses]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        # No flush: a missed wake-up would leave the last spans queued for good.
        pipeline.wait_for(threads * calls, timeout_s=5)
    finally:
        pipeline.provider.shutdown()


def test_a_started_span_wakes_an_idle_worker_for_its_pending_event() -> None:
    pipeline = Pipeline(interval_ms=20, emit_pending=True)
    try:
        pipeline.call()
        pipeline.wait_for(1, timeout_s=2, status="SUCCESS")
        time.sleep(0.1)
        span = pipeline.tracer.start_span("invoke_agent a", attributes=AGENT)
        pipeline.wait_for(1, timeout_s=2, status="PENDING")
        span.end()
    finally:
        pipeline.provider.shutdown()


def test_shutdown_wakes_an_idle_worker_at_once(pipeline: Pipeline) -> None:
    pipeline.call()
    pipeline.wait_for(1, timeout_s=2)
    time.sleep(0.1)
    start = time.monotonic()
    pipeline.processor.shutdown()
    assert time.monotonic() - start < 1.0
    assert not pipeline.processor._worker.is_alive()
