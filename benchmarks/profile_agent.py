"""Where the time of one ``@oa.agent`` call goes: step timings and a cProfile listing.

    benchmarks/.venv/bin/python benchmarks/profile_agent.py [--calls 10000] [--cprofile]

Each step of the decorator's per-call path is timed alone (median of 7 interleaved blocks), next to
the SDK work any instrumentation pays (start a span, end it). It reaches into private
helpers on purpose: they are the steps of the hot path. Spans go to a BatchSpanProcessor
with a no-op exporter, as in ``bench_decorators.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import END_ATTRIBUTES, SPAN_NAME, START_ATTRIBUTES, batch_provider, plan
from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind

import otel_agents as oa
from otel_agents._state import RUNTIME
from otel_agents.instrument import action as _action
from otel_agents.instrument import lifecycle as instrument
from otel_agents.instrument.spec import make_spec
from otel_agents.semconv import ActionKind

OPTIONS: dict[str, Any] = {
    "name": "planner",
    "agent_id": "planner-1",
    "version": "1.2.0",
    "model": "gpt-4o-mini",
    "provider": "openai",
}


def per_call_us(
    timed: list[tuple[str, Callable[[], Any]]],
    calls: int,
    flush: Callable[[], Any] | None = None,
) -> list[float]:
    """Median µs per call of each step; rounds interleave the steps so drift hits all."""
    perf = time.perf_counter_ns
    samples: list[list[float]] = [[] for _ in timed]
    for _ in range(7):
        for index, (_, step) in enumerate(timed):
            t0 = perf()
            for _ in range(calls):
                step()
            samples[index].append((perf() - t0) / calls / 1000)
            if flush is not None:
                flush()  # untimed: each block starts with an empty span queue
    return [statistics.median(values) for values in samples]


def steps(calls: int) -> list[tuple[str, float]]:
    provider, _ = batch_provider()
    RUNTIME.use_tracer_provider(provider)
    tracer = provider.get_tracer("bench.profile")
    spec = make_spec(ActionKind.AGENT, plan, **OPTIONS)
    agent = oa.agent(**OPTIONS)(plan)
    internal = SpanKind.INTERNAL

    def raw() -> None:
        attributes = START_ATTRIBUTES
        with tracer.start_as_current_span(SPAN_NAME, kind=internal, attributes=attributes) as s:
            plan("task")
            s.set_attributes(END_ATTRIBUTES)

    def start_end() -> None:
        tracer.start_span(SPAN_NAME, kind=internal, attributes=START_ATTRIBUTES).end()

    def start_action_end() -> None:
        instrument.start_action(spec).span.end()

    span = tracer.start_span("held")
    action = _action.Action(span, ActionKind.AGENT, None, None, None, None)
    result = plan("task")

    def attach_detach() -> None:
        _action.detach(_action.attach(span, action))

    def otel_attach_detach() -> None:
        otel_context.detach(otel_context.attach(trace.set_span_in_context(span)))

    def guard() -> None:
        if not span.is_recording() and not span.get_span_context().is_valid:
            pass
        _ = RUNTIME.hooks_active

    def end_ok_step() -> None:
        s = tracer.start_span(SPAN_NAME, kind=internal, attributes=START_ATTRIBUTES)
        a = _action.Action(s, ActionKind.AGENT, None, None, None, None)
        _action.end_ok(a, result, instrument._result_attributes(spec, a, result))

    def new_action() -> None:
        _action.Action(span, ActionKind.AGENT, None, None, None, None)

    def result_attributes() -> None:
        instrument._result_attributes(spec, action, result)

    def capture_inputs() -> None:
        instrument._capture_inputs(spec, action, ("task",), {})

    timed = [
        ("raw OTel (start_as_current_span + set_attributes)", raw),
        ("@oa.agent, whole call", lambda: agent("task")),
        ("SDK: start_span(8 attrs) + end", start_end),
        ("start_action + end (vs the line above)", start_action_end),
        ("  CURRENT_ACTION.get", _action.CURRENT_ACTION.get),
        ("  baggage.get_all (inherited_ids, no parent)", baggage.get_all),
        ("  Action(...)", new_action),
        ("attach + detach (ours: span + action)", attach_detach),
        ("attach + detach (OTel context only)", otel_attach_detach),
        ("no-SDK guard (is_recording, span context, hooks)", guard),
        ("_capture_inputs (content off)", capture_inputs),
        ("_result_attributes (small dict)", result_attributes),
        ("start_span + end_ok (set_attributes + end)", end_ok_step),
    ]
    values = per_call_us(timed, calls, provider.force_flush)
    return list(zip([label for label, _ in timed], values, strict=True))


def outcome_steps(calls: int) -> list[tuple[str, float]]:
    """What the outcome processor's worker does per span (its thread, but the same GIL).

    Each step over a batch of 512 distinct finished spans (as the worker gets them), per
    event; the last line is the processor's whole batch with ``configure()``'s default sinks.
    """
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_agents.events.outcome import OutcomeEvent
    from otel_agents.export.jsonl import JsonLinesOutcomeLog
    from otel_agents.export.metrics import OutcomeMetrics
    from otel_agents.export.processor import OutcomeSpanProcessor
    from otel_agents.export.recent import RecentEvents

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    RUNTIME.use_tracer_provider(provider)
    traced = oa.agent(**OPTIONS)(plan)
    for _ in range(512):
        traced("task")
    spans = memory.get_finished_spans()
    batch = [OutcomeEvent.from_span(span) for span in spans]
    scratch = Path(tempfile.mkdtemp(prefix="otel-agents-profile-"))
    log = JsonLinesOutcomeLog(scratch / "o.jsonl")
    recent = RecentEvents(1000)
    no_op_metrics = OutcomeMetrics()
    sdk_metrics = OutcomeMetrics(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    processor = OutcomeSpanProcessor(
        [RecentEvents(1000), JsonLinesOutcomeLog(scratch / "p.jsonl"), OutcomeMetrics()],
        export_interval_ms=3_600_000,  # the worker sleeps: the timed thread does the work
    )

    def whole_batch() -> None:
        for span in spans:
            processor.on_end(span)
        processor.drain()

    timed: list[tuple[str, Callable[[], Any]]] = [
        ("OutcomeEvent.from_span", lambda: [OutcomeEvent.from_span(s) for s in spans]),
        ("event.to_json_bytes", lambda: [event.to_json_bytes() for event in batch]),
        ("JSON-lines sink (serialise + one write)", lambda: log.export_events(batch)),
        ("recent-events sink", lambda: recent.export_events(batch)),
        ("metrics sink, no MeterProvider (default)", lambda: no_op_metrics.export_events(batch)),
        ("metrics sink, SDK MeterProvider (OTLP set)", lambda: sdk_metrics.export_events(batch)),
        ("processor: on_end + whole batch, default sinks", whole_batch),
    ]
    values = [value / len(batch) for value in per_call_us(timed, max(calls // 512, 3))]
    log.shutdown()
    processor.shutdown()
    return list(zip([label for label, _ in timed], values, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--cprofile", action="store_true", help="also print a cProfile listing")
    args = parser.parse_args()
    for label, value in steps(args.calls):
        print(f"{value:8.2f} µs  {label}")
    print("outcome processor, per event, on its worker thread (batches of 512):")
    for label, value in outcome_steps(args.calls):
        print(f"{value:8.2f} µs  {label}")
    if args.cprofile:
        agent = oa.agent(**OPTIONS)(plan)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.calls):
            agent("task")
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
