"""The outcome metrics sink with an SDK MeterProvider: per event, direct and through record().

    .venv/bin/python benchmarks/bench_metrics_sink.py [--events 512] [--rounds 15]

``OutcomeMetrics.export_events`` over batches of distinct finished events, in one process:
once as shipped (``DirectHistogram``: each histogram value straight to the SDK's
aggregation after an attribute set's first ``record``) and once with every value through
the SDK's ``Histogram.record``, rounds interleaved. Two kinds of event: an agent call
without usage (one histogram value: the duration), an LLM-backed one (duration,
input and output tokens, cost: four values) and a rewarded one (the duration, and the
reward counters, added once per agent and batch). Process CPU time, min and median per event.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from otel_agents import _otel_private
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export.metrics import OutcomeMetrics

USAGE = {
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 300,
    "agent.outcome.cost_usd": 0.0042,
}


def _events(count: int, llm: bool, rewarded: bool = False) -> list[OutcomeEvent]:
    tracer = TracerProvider().get_tracer("bench")
    events = []
    for i in range(count):
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": f"agent-{i % 4}",
            "agent.outcome.status": "SUCCESS",
            "agent.outcome.severity": "INFO",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.provider.name": "openai",
        }
        if llm:
            attributes.update({key: value + i for key, value in USAGE.items()})
        if rewarded:
            attributes["agent.outcome.reward"] = (i % 5) / 2 - 1.0
        span = tracer.start_span(f"invoke_agent agent-{i % 4}", attributes=attributes)
        span.end()
        events.append(OutcomeEvent.from_span(span))
    return events


@contextmanager
def _through_record() -> Iterator[None]:
    """Sinks made inside it send every histogram value through ``Histogram.record``."""
    find = _otel_private.DirectHistogram._find_targets
    _otel_private.DirectHistogram._find_targets = lambda self: ()  # type: ignore[method-assign]
    try:
        yield
    finally:
        _otel_private.DirectHistogram._find_targets = find  # type: ignore[method-assign]


def _sink(events: list[OutcomeEvent]) -> OutcomeMetrics:
    sink = OutcomeMetrics(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    sink.export_events(events)  # first values of each attribute set; identities cached
    return sink


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=512, help="distinct events per batch")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"OutcomeMetrics.export_events, {args.events} events a batch, {args.rounds} rounds")
    kinds = (
        ("agent call (1 value)", False, False),
        ("LLM-backed (4 values)", True, False),
        ("rewarded (1 value)", False, True),
    )
    for label, llm, rewarded in kinds:
        events = _events(args.events, llm, rewarded)
        direct = _sink(events)
        with _through_record():
            through_record = _sink(events)
        timings: dict[str, list[float]] = {"direct": [], "record()": []}
        for _ in range(args.rounds):
            for name, sink in (("direct", direct), ("record()", through_record)):
                start = time.process_time()
                sink.export_events(events)
                timings[name].append((time.process_time() - start) / len(events) * 1e6)
        mins = {name: min(values) for name, values in timings.items()}
        for name, values in timings.items():
            print(
                f"  {label:<24} {name:<9} min {mins[name]:6.2f} µs/event,"
                f" median {statistics.median(values):6.2f}"
            )
        print(f"  {label:<24} direct ÷ record(): {mins['direct'] / mins['record()']:.2f}×")


if __name__ == "__main__":
    main()
