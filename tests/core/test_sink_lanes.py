"""Each sink on its own lane: order kept per sink, a raising sink logged once and counted."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents.ids import EVENT_TYPE_PENDING


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []  # (span id, event type), in arrival order

    def export_events(self, events: Sequence[oa.OutcomeEvent]) -> None:
        self.seen.extend((e.span_id, e.event_type) for e in events)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


def test_each_sink_gets_a_runs_pending_event_before_its_final_one(tmp_path):
    sink = _Recorder()
    oa.configure(
        tracer_provider=TracerProvider(),
        outcome_log=tmp_path / "o.jsonl",
        sinks=[sink],
        emit_pending=True,
    )
    try:

        @oa.agent(name="slow")
        def slow(i: int) -> int:
            time.sleep(0.15)  # still running when the worker wakes: a PENDING event
            return i

        threads = [threading.Thread(target=lambda: [slow(i) for i in range(3)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert oa.force_flush(10_000)
    finally:
        oa.shutdown()
    first_seen: dict[tuple[str, str], int] = {}
    for position, key in enumerate(sink.seen):
        first_seen.setdefault(key, position)
    pending = [span for span, kind in first_seen if kind == EVENT_TYPE_PENDING]
    assert pending, "no PENDING event was emitted: the test proves nothing"
    finals = {span: pos for (span, kind), pos in first_seen.items() if kind != EVENT_TYPE_PENDING}
    assert len(finals) == 24
    for span in pending:
        assert first_seen[(span, EVENT_TYPE_PENDING)] < finals[span]


class _Raising:
    def export_events(self, events: Sequence[oa.OutcomeEvent]) -> None:
        raise RuntimeError("broken sink")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


def test_a_raising_sink_is_logged_once_and_counted(tmp_path, caplog: pytest.LogCaptureFixture):
    log = tmp_path / "o.jsonl"
    telemetry = oa.configure(tracer_provider=TracerProvider(), outcome_log=log, sinks=[_Raising()])
    try:

        @oa.tool
        def step(i: int) -> int:
            return i

        with caplog.at_level(logging.ERROR, logger="otel_agents"):
            for i in range(3):
                for _ in range(200):
                    step(i)
                oa.force_flush(5000)  # three batches at least
        stats = telemetry.stats()
    finally:
        oa.shutdown()
    assert stats["sink_failures"] == 600, stats
    assert len(log.read_bytes().splitlines()) == 600  # the log beside it lost nothing
    raised = [r for r in caplog.records if "_Raising raised" in r.getMessage()]
    assert len(raised) == 1
