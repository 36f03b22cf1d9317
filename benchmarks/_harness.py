"""Shared by the per-subject benchmark processes: the workload, raw-OTel cases, the timer.

Not run by itself. Each ``subject_*.py`` builds its cases with :func:`raw_otel_cases` plus
its own, then calls :func:`main`, which times every case in this one process and writes
a JSON result for ``bench_decorators.py`` to collect.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

SPAN_NAME = "invoke_agent planner"
# The ten attributes ``@oa.agent(name=..., agent_id=..., version=..., model=..., provider=...)``
# puts on the span of a function with a docstring (checked with an in-memory exporter):
# eight known at decoration time, two (the outcome) known only when the call returns.
START_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": "planner",
    "agent.action.type": "agent",
    "gen_ai.agent.id": "planner-1",
    "gen_ai.agent.description": "Plan the next step.",
    "gen_ai.agent.version": "1.2.0",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.provider.name": "openai",
}
END_ATTRIBUTES: dict[str, Any] = {
    "agent.outcome.status": "SUCCESS",
    "agent.outcome.severity": "INFO",
}
ATTRIBUTE_COUNT = len(START_ATTRIBUTES) + len(END_ATTRIBUTES)


def plan(task: str) -> dict[str, Any]:
    """Plan the next step."""
    return {"answer": task, "steps": 3}


async def plan_async(task: str) -> dict[str, Any]:
    """Plan the next step."""
    return {"answer": task, "steps": 3}


class CountingExporter(SpanExporter):
    """A no-op exporter that counts what reaches it, so drops show as ended - exported."""

    def __init__(self) -> None:
        self.exported = 0

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def batch_provider() -> tuple[TracerProvider, CountingExporter]:
    """A fresh SDK provider with the default BatchSpanProcessor → a counting no-op exporter."""
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, exporter


@dataclass
class Case:
    """One thing to time: ``call()`` (or ``await call()``) runs the workload once."""

    label: str
    call: Callable[[], Any]
    baseline: str | None = None  # label of the case this one is compared with
    is_async: bool = False
    activate: Callable[[], None] | None = None  # run before each timed block
    flush: Callable[[], Any] | None = None  # run after each timed block, untimed
    drops: Callable[[int], dict[str, int]] | None = None  # given the calls made
    note: str = ""
    # µs per call of each timed block, by clock; "*_with_flush" adds the flush that follows
    # the block, untimed otherwise: work a processor's thread had not yet done shows there.
    samples: list[dict[str, float]] = field(default_factory=list)
    calls_made: int = 0


def raw_otel_cases(prefix: str = "raw OTel") -> list[Case]:
    """Bare calls and hand-written OTel around the same workload, sync and async."""
    provider, exporter = batch_provider()
    tracer = provider.get_tracer("bench.raw")
    internal = SpanKind.INTERNAL
    start, end = START_ATTRIBUTES, END_ATTRIBUTES
    each = list(START_ATTRIBUTES.items())
    each_end = list(END_ATTRIBUTES.items())

    def raw() -> Any:
        # The leanest correct form: static attributes at start (samplers see them), the
        # outcome in one set_attributes; start_as_current_span records exceptions.
        with tracer.start_as_current_span(SPAN_NAME, kind=internal, attributes=start) as span:
            result = plan("task")
            span.set_attributes(end)
            return result

    def raw_each() -> Any:
        with tracer.start_as_current_span(SPAN_NAME, kind=internal) as span:
            for key, value in each:
                span.set_attribute(key, value)
            result = plan("task")
            for key, value in each_end:
                span.set_attribute(key, value)
            return result

    async def raw_async() -> Any:
        with tracer.start_as_current_span(SPAN_NAME, kind=internal, attributes=start) as span:
            result = await plan_async("task")
            span.set_attributes(end)
            return result

    flush = provider.force_flush
    drops = exporter_drops(exporter)
    return [
        Case("bare call", lambda: plan("task"), note="the function alone"),
        Case(
            prefix,
            raw,
            flush=flush,
            drops=drops,
            note=f"{ATTRIBUTE_COUNT} attributes: 8 at start, 2 in one set_attributes",
        ),
        Case(
            f"{prefix}, 10x set_attribute",
            raw_each,
            baseline=prefix,
            flush=flush,
            drops=drops,
            note="same span, one set_attribute call per attribute",
        ),
        Case("bare call (async)", lambda: plan_async("task"), is_async=True),
        Case(
            f"{prefix} (async)",
            raw_async,
            baseline=f"{prefix} (async)",
            is_async=True,
            flush=flush,
            drops=drops,
        ),
    ]


def exporter_drops(exporter: CountingExporter) -> Callable[[int], dict[str, int]]:
    """Drops of a BatchSpanProcessor: spans ended minus spans its exporter received."""

    def count(ended: int) -> dict[str, int]:
        return {"ended": ended, "exported": exporter.exported}

    return count


# Two clocks per block. Wall time is what a caller waits. Process CPU time (all threads,
# so a processor's worker counts) is what the instrumentation costs, and it holds up on a
# machine shared with other work, where wall time also counts time spent descheduled.
_CLOCKS = (time.perf_counter_ns, time.process_time_ns)


def _time_sync(call: Callable[[], Any], n: int) -> tuple[int, int]:
    wall, cpu = _CLOCKS
    loop = range(n)
    w0, c0 = wall(), cpu()
    for _ in loop:
        call()
    return wall() - w0, cpu() - c0


async def _time_async(call: Callable[[], Any], n: int) -> tuple[int, int]:
    wall, cpu = _CLOCKS
    loop = range(n)
    w0, c0 = wall(), cpu()
    for _ in loop:
        await call()
    return wall() - w0, cpu() - c0


def measure(cases: list[Case], calls: int, repeats: int, warmup: int) -> None:
    """Time every case ``repeats`` times, interleaved so drift hits all cases alike."""
    loop = asyncio.new_event_loop()
    wall, cpu = _CLOCKS

    def run(case: Case, n: int) -> dict[str, float]:
        if case.activate is not None:
            case.activate()
        gc.collect()
        if case.is_async:
            wall_ns, cpu_ns = loop.run_until_complete(_time_async(case.call, n))
        else:
            wall_ns, cpu_ns = _time_sync(case.call, n)
        case.calls_made += n
        w0, c0 = wall(), cpu()
        if case.flush is not None:
            case.flush()
        per_call = 1000 * n
        return {
            "wall": wall_ns / per_call,
            "cpu": cpu_ns / per_call,
            "wall_with_flush": (wall_ns + wall() - w0) / per_call,
            "cpu_with_flush": (cpu_ns + cpu() - c0) / per_call,
        }

    for case in cases:
        run(case, warmup)
    for _ in range(repeats):
        for case in cases:
            case.samples.append(run(case, calls))
    loop.close()


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one CPU")
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    return parser.parse_args()


def main(subject: str, build: Callable[[], list[Case]]) -> None:
    """Build the cases, time them, write ``{subject, cases: [...]}`` as JSON to ``--out``."""
    args = _parse()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    cases = build()
    measure(cases, args.calls, args.repeats, args.warmup)
    shared: dict[int, dict[str, int]] = {}
    results = []
    for case in cases:
        drops = None
        if case.drops is not None:
            # Cases sharing one exporter report its total against the calls of them all.
            key = id(case.drops)
            ended = sum(c.calls_made for c in cases if c.drops is case.drops)
            drops = shared.setdefault(key, case.drops(ended))
        results.append(
            {
                "label": case.label,
                "baseline": case.baseline,
                "is_async": case.is_async,
                "note": case.note,
                "samples_us": {
                    clock: [sample[clock] for sample in case.samples] for clock in case.samples[0]
                },
                "drops": drops,
            }
        )
    payload = {
        "subject": subject,
        "python": sys.version.split()[0],
        "otel_sdk": _version("opentelemetry-sdk"),
        "calls": args.calls,
        "repeats": args.repeats,
        "cases": results,
    }
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(payload, out, indent=1)


def _version(distribution: str) -> str:
    from importlib.metadata import version

    try:
        return version(distribution)
    except Exception:
        return "?"
