"""Cost of the LLM roll-up per LLM span: on the agent's thread and on the processor's.

Agent's thread: N LLM spans (GenAI attributes, inside an agent span) on a provider with a
BatchSpanProcessor (no-op exporter), with and without otel-agents' outcome processor in
roll-up mode; the difference per span is what the roll-up adds, shown against the span's
own cost. The processor's worker is kept idle while timing (long interval, big queue).
Processor's thread: the time to drain those spans (classify, roll up, build the agent's
event) per LLM span. Times are the thread's CPU time (``time.thread_time``), so other
processes on a shared machine do not inflate them.

    .venv/bin/python benchmarks/bench_rollup.py [--spans 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_agents.export.foreign import ForeignSpans
from otel_agents.export.foreign.content import ContentPolicy
from otel_agents.export.prices import PriceTable
from otel_agents.export.processor import OutcomeSpanProcessor
from otel_agents.export.rollup import RunTree

LLM_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 812,
    "gen_ai.usage.output_tokens": 164,
}


class NoOp(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class Events:
    def __init__(self) -> None:
        self.count = 0

    def export_events(self, events: Sequence[object]) -> None:
        self.count += len(events)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


def run(spans: int, with_rollup: bool, stamp: bool) -> tuple[float, float]:
    """(agent-thread seconds for the loop, processor-thread seconds to drain it)."""
    provider = TracerProvider()
    # Both workers stay idle while timing: only the agent-thread side is measured.
    provider.add_span_processor(
        BatchSpanProcessor(
            NoOp(),
            max_queue_size=spans + 10,
            schedule_delay_millis=600_000,
            max_export_batch_size=spans + 10,
        )
    )
    processor = None
    if with_rollup:
        tree = RunTree(ForeignSpans.from_setting("all"), PriceTable.load(), ContentPolicy())
        processor = OutcomeSpanProcessor(
            [Events()],
            max_queue_size=spans + 10,
            max_batch_size=spans + 10,
            export_interval_ms=600_000,
            run_tree=tree,
            stamp_session_ids=stamp,
        )
        provider.add_span_processor(processor)
    tracer = provider.get_tracer("some.llm.client")
    agent_attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}
    gc.collect()
    gc.disable()
    with tracer.start_as_current_span("invoke_agent planner", attributes=agent_attributes):
        start = time.thread_time()
        for _ in range(spans):
            with tracer.start_as_current_span("chat gpt-4o-mini", attributes=LLM_ATTRIBUTES):
                pass
        agent_s = time.thread_time() - start
    gc.enable()
    drain_s = 0.0
    if processor is not None:
        start = time.thread_time()
        processor.drain()
        drain_s = time.thread_time() - start
        assert processor.processed == 1, processor.processed  # one agent event
        processor.shutdown()
    provider.shutdown()
    return agent_s, drain_s


def hooks(calls: int) -> tuple[float, float, float]:
    """µs per call of BatchSpanProcessor.on_end, our on_end and our on_start, on one span."""
    provider = TracerProvider()
    tracer = provider.get_tracer("some.llm.client")
    with tracer.start_as_current_span("chat", attributes=LLM_ATTRIBUTES) as live:
        pass
    span = live
    bsp = BatchSpanProcessor(
        NoOp(),
        max_queue_size=calls + 10,
        schedule_delay_millis=600_000,
        max_export_batch_size=calls + 10,
    )
    tree = RunTree(ForeignSpans.from_setting("all"), PriceTable.load(), ContentPolicy())
    ours = OutcomeSpanProcessor(
        [Events()],
        max_queue_size=calls + 10,
        max_batch_size=calls + 10,
        export_interval_ms=600_000,
        run_tree=tree,
        stamp_session_ids=True,
    )
    results = []
    for hook in (bsp.on_end, ours.on_end, lambda s: ours.on_start(s, None)):
        gc.collect()
        gc.disable()
        start = time.thread_time()
        for _ in range(calls):
            hook(span)  # type: ignore[arg-type]
        results.append((time.thread_time() - start) / calls * 1e6)
        gc.enable()
    ours._queue.clear()  # not events: the same span appended many times
    ours.shutdown()
    bsp.shutdown()
    return results[0], results[1], results[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.spans
    base, rollup, rollup_stamp, drains = [], [], [], []
    run(2000, True, True)  # warm-up
    for _ in range(args.rounds):
        base.append(run(n, False, False)[0] / n * 1e6)
        agent_s, drain_s = run(n, True, False)
        rollup.append(agent_s / n * 1e6)
        drains.append(drain_s / n * 1e6)
        rollup_stamp.append(run(n, True, True)[0] / n * 1e6)
    own = statistics.median(base)
    added = statistics.median(rollup) - own
    added_stamp = statistics.median(rollup_stamp) - own
    drain = statistics.median(drains)
    print(f"LLM spans per round: {n}, rounds: {args.rounds} (medians)")
    print(f"span's own cost (BatchSpanProcessor only)      {own:7.2f} µs")
    print(f"agent's thread, roll-up added (on_end append)  {added:7.2f} µs  ({added / own:.1%})")
    print(
        f"agent's thread, + session/user stamp on_start  {added_stamp:7.2f} µs  "
        f"({added_stamp / own:.1%})"
    )
    print(f"processor's thread per LLM span (roll-up)      {drain:7.2f} µs  ({drain / own:.1%})")
    measured = [hooks(200_000) for _ in range(args.rounds)]
    bsp_end, our_end, our_start = (statistics.median(m[i] for m in measured) for i in range(3))
    print("per call on the agent's thread, one span, 200000 calls:")
    print(f"  BatchSpanProcessor.on_end                    {bsp_end:7.3f} µs")
    print(f"  OutcomeSpanProcessor.on_end (roll-up mode)   {our_end:7.3f} µs")
    print(f"  OutcomeSpanProcessor.on_start (id stamp)     {our_start:7.3f} µs")


if __name__ == "__main__":
    main()
