"""The outcome processor hands events to sinks without tracing the export itself."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

import otel_agents as oa


class _RecordingSink:
    def __init__(self) -> None:
        self.instrumentation_enabled: list[bool] = []

    def export_events(self, events: Sequence[oa.OutcomeEvent]) -> None:
        self.instrumentation_enabled.append(is_instrumentation_enabled())

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


def test_sinks_export_under_the_suppress_instrumentation_key(tmp_path):
    sink = _RecordingSink()
    oa.configure(outcome_log=tmp_path / "o.jsonl", sinks=[sink])
    try:

        @oa.agent
        def worker() -> int:
            return 1

        worker()
        oa.force_flush()
    finally:
        oa.shutdown()
    assert sink.instrumentation_enabled and not any(sink.instrumentation_enabled)
