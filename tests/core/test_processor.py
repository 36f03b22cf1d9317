"""The outcome processor hands events to sinks without tracing the export itself."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
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


def test_a_run_tree_given_as_a_function_is_built_with_the_first_batch(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider

    from otel_agents.export.foreign import ForeignSpans
    from otel_agents.export.foreign.content import ContentPolicy
    from otel_agents.export.processor import OutcomeSpanProcessor
    from otel_agents.export.recent import RecentEvents
    from otel_agents.export.rollup import RunTree

    built: list[RunTree] = []

    def build() -> RunTree:
        built.append(RunTree(ForeignSpans.from_setting("all"), None, ContentPolicy()))
        return built[-1]

    recent = RecentEvents()
    processor = OutcomeSpanProcessor([recent], run_tree=build)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    try:
        assert built == [] and processor.rollup_stats()["llm_calls"] == 0
        # Another library's agent with an LLM call below: only a tree makes it an event,
        # so the spans must have been queued before the tree existed.
        tracer = provider.get_tracer("openinference.instrumentation.test")
        with tracer.start_as_current_span("a", attributes={"openinference.span.kind": "AGENT"}):
            llm = {"openinference.span.kind": "LLM", "llm.token_count.prompt": 7}
            with tracer.start_as_current_span("llm", attributes=llm):
                pass
        assert processor.force_flush()
        assert len(built) == 1
        (event,) = recent.query()
        assert (event.kind, event.input_tokens) == ("agent", 7)
        assert processor.rollup_stats()["llm_calls"] == 1
    finally:
        provider.shutdown()
    assert len(built) == 1  # once


def test_shutdown_before_any_batch_builds_nothing(tmp_path):
    from otel_agents.export.processor import OutcomeSpanProcessor
    from otel_agents.export.rollup import RunTree

    calls: list[int] = []

    def build() -> RunTree:
        calls.append(1)
        raise AssertionError("no batch, no tree")

    processor = OutcomeSpanProcessor([], run_tree=build)
    processor.shutdown()
    assert calls == [] and processor.rollup_stats()["rollup_pending"] == 0


def test_a_tree_that_cannot_be_built_leaves_the_outcomes_and_lets_other_spans_go(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider

    from otel_agents.export.processor import OutcomeSpanProcessor
    from otel_agents.export.recent import RecentEvents
    from otel_agents.export.rollup import RunTree

    def build() -> RunTree:
        raise ImportError("a broken install")

    recent = RecentEvents()
    processor = OutcomeSpanProcessor([recent], run_tree=build)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    try:
        tracer = provider.get_tracer("some.framework")
        agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}
        llm = {"gen_ai.request.model": "m"}
        with (
            tracer.start_as_current_span("invoke_agent a", attributes=agent),
            tracer.start_as_current_span("llm", attributes=llm),
        ):
            pass
        assert processor.force_flush()
        # The LLM span was queued for the tree: not made into an event of its own.
        assert [event.name for event in recent.query()] == ["a"]
        assert processor.rollup_stats() == {}
    finally:
        provider.shutdown()


def test_the_worker_offers_the_gil_only_once_it_has_caught_up(monkeypatch):
    """Behind by more than a batch, the worker keeps the interpreter's own turns (offering
    the GIL after each 1 ms would starve it in a tight loop); caught up, it offers it."""
    from opentelemetry.sdk.trace import TracerProvider

    from otel_agents.export import processor as module
    from otel_agents.export.processor import OutcomeSpanProcessor
    from otel_agents.export.recent import RecentEvents

    now = [0.0]

    def clock() -> float:
        now[0] += 0.002  # every clock read ends a turn
        return now[0]

    batch = 64
    recent = RecentEvents(maxlen=1024)
    processor = OutcomeSpanProcessor([recent], max_batch_size=batch, export_interval_ms=3_600_000)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    queued_at_offers: list[int] = []
    monkeypatch.setattr(module, "_clock", clock)
    monkeypatch.setattr(module, "_offer_gil", lambda: queued_at_offers.append(processor.queued))
    tracer = provider.get_tracer("otel_agents")
    try:
        with processor._export_lock:  # the worker waits: this thread exports
            for _ in range(4 * batch):
                tracer.start_span(
                    "invoke_agent a", attributes={"gen_ai.operation.name": "invoke_agent"}
                ).end()
            while processor.queued:
                processor._export_one()
    finally:
        provider.shutdown()
    assert len(recent.query(count=10 * batch)) == 4 * batch
    # A turn ends every 16 spans; none is offered while more than a batch is queued.
    assert queued_at_offers == [64, 48, 32, 16, 0]


def _metadata_value_after(processor_of, text: str) -> str:
    """The ``agent.metadata.note`` an outcome span carrying ``text`` arrives with."""
    from opentelemetry.sdk.trace import TracerProvider

    from otel_agents.export.recent import RecentEvents

    recent = RecentEvents()
    processor = processor_of([recent])
    provider = TracerProvider()
    provider.add_span_processor(processor)
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "planner",
        "agent.metadata.note": text,
    }
    with provider.get_tracer("t").start_as_current_span(
        "invoke_agent planner", attributes=attributes
    ):
        pass
    provider.shutdown()
    (event,) = recent.query()
    return str(event.metadata["note"])


def test_values_are_cut_at_the_documented_default_length() -> None:
    from otel_agents.export.processor import OutcomeSpanProcessor

    kept = _metadata_value_after(OutcomeSpanProcessor, "x" * 4096)
    cut = _metadata_value_after(OutcomeSpanProcessor, "x" * 6000)
    assert kept == "x" * 4096
    assert cut.startswith("x" * 100) and len(cut) <= 4096 and cut != "x" * 4096


def test_a_processor_from_the_environment_takes_configures_settings(monkeypatch) -> None:
    from otel_agents.export.processor import OutcomeSpanProcessor

    monkeypatch.setenv("OTEL_AGENTS_MAX_VALUE_LENGTH", "100")
    cut = _metadata_value_after(OutcomeSpanProcessor.from_env, "y" * 500)
    assert cut.startswith("y" * 50) and len(cut) <= 100
    # An argument still wins over the environment.
    kept = _metadata_value_after(
        lambda sinks: OutcomeSpanProcessor.from_env(sinks, max_value_length=1000), "y" * 500
    )
    assert kept == "y" * 500
    monkeypatch.setenv("OTEL_AGENTS_MAX_QUEUE_SIZE", "0")
    with pytest.raises(oa.ConfigurationError, match="OTEL_AGENTS_MAX_QUEUE_SIZE"):
        OutcomeSpanProcessor.from_env([])
