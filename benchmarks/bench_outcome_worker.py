"""The outcome processor under load: drops in a tight loop, and the agent thread's latency.

    .venv/bin/python benchmarks/bench_outcome_worker.py [--calls 200000] [--rounds 10]
        [--kafka HOST:PORT|start]

* **tight loop**: ``--calls`` decorated calls as fast as one thread can make them, with
  ``configure()``'s default sinks (recent events, JSON-lines log; Kafka with ``--kafka``),
  in ``--rounds`` blocks interleaved with as many raw-OTel calls: process CPU per call
  including the flush, its ratio to raw OTel's (the median of the rounds' ratios, so a
  slow minute of a shared machine moves both sides of a round, not one side of the
  figure), outcome spans dropped, batches the calling thread had to export itself (the
  queue was full), events built; the garbage collector's CPU by generation
  (spans waiting in a long queue make its passes longer); on Linux also the CPU of each
  thread (the agent's, the outcome worker, each sink's lane, the Kafka client's own).
* **agent latency**: one agent thread calls ``@oa.agent`` at a steady pace and times each
  call, once with the outcome worker idle and once while it converts a steady stream of
  finished spans (fed straight into its queue, so no second Python thread competes for
  the GIL): p50/p99/max per call. A worker that kept the GIL for whole batches shows here.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import END_ATTRIBUTES, SPAN_NAME, START_ATTRIBUTES, batch_provider, plan

import otel_agents as oa

OPTIONS: dict[str, Any] = {
    "name": "planner",
    "agent_id": "planner-1",
    "version": "1.2.0",
    "model": "gpt-4o-mini",
    "provider": "openai",
}


def tight_loop(calls: int, rounds: int, telemetry: Any) -> dict[str, Any]:
    """``calls`` decorated calls and as many raw-OTel ones, in ``rounds`` interleaved blocks.

    Each block is timed by process CPU (all threads) from its first call until its
    pipeline is flushed; the two subjects alternate (ABBA) so that the machine's drift
    hits both. The ratio of each round is ours ÷ raw of that round; the median of the
    rounds is the figure, the ratio of the sums is printed beside it.
    """
    traced = oa.agent(**OPTIONS)(plan)
    raw, raw_flush, raw_exported, raw_done = raw_otel()
    block = max(1, calls // rounds)
    cpu, wall = time.process_time, time.perf_counter
    ours_gc, raw_gc = GarbageCollections(), GarbageCollections()
    by_thread: dict[str, float] = {}
    ours_cpu: list[float] = []
    raw_cpu: list[float] = []
    ours_wall = 0.0

    def run_ours() -> None:
        nonlocal ours_wall
        threads_before = cpu_by_thread()
        c0, w0 = cpu(), wall()
        with ours_gc:
            for _ in range(block):
                traced("task")
        ours_wall += wall() - w0
        telemetry.force_flush(120_000)
        ours_cpu.append(cpu() - c0)
        for name, seconds in cpu_by_thread().items():
            by_thread[name] = by_thread.get(name, 0.0) + seconds - threads_before.get(name, 0.0)

    def run_raw() -> None:
        c0 = cpu()
        with raw_gc:
            for _ in range(block):
                raw()
        raw_flush()
        raw_cpu.append(cpu() - c0)

    for index in range(rounds):
        first, second = (run_ours, run_raw) if index % 4 in (0, 3) else (run_raw, run_ours)
        first()
        second()
    raw_done()
    total = block * rounds
    ratios = [ours / base for ours, base in zip(ours_cpu, raw_cpu, strict=True)]
    return {
        "calls": total,
        "calls_per_s": total / ours_wall,
        "cpu_us_per_call": sum(ours_cpu) / total * 1e6,
        "raw_cpu_us_per_call": sum(raw_cpu) / total * 1e6,
        "ratio_median": statistics.median(ratios),
        "ratio_of_sums": sum(ours_cpu) / sum(raw_cpu),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "raw_dropped": total - raw_exported(),
        **{k: float(v) for k, v in telemetry.stats().items()},
        **_kafka_stats(telemetry),
        **{f"thread:{name}": seconds / total * 1e6 for name, seconds in by_thread.items()},
        **ours_gc.per_call(total),
        **{f"raw_{key}": value for key, value in raw_gc.per_call(total).items()},
    }


def _kafka_stats(telemetry: Any) -> dict[str, float]:
    """What the broker acknowledged (after the flush), and what went to the spool."""
    exporter = telemetry.kafka_exporter
    if exporter is None:
        return {}
    stats = exporter.stats()
    return {"kafka_sent": float(stats.sent), "kafka_spooled": float(stats.spooled)}


class GarbageCollections:
    """CPU of the cyclic garbage collector's passes while in the block, by generation.

    Every span queued for the outcome worker is ~10 objects the collector walks until
    the worker takes it: a long queue shows here, on whichever thread triggers a pass.
    """

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self._started: dict[int, float] = {}

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        thread = threading.get_ident()
        if phase == "start":
            self._started[thread] = time.thread_time()
            return
        began = self._started.pop(thread, None)
        if began is not None:
            self.seconds[info["generation"]] += time.thread_time() - began

    def per_call(self, calls: int) -> dict[str, float]:
        return {f"gc{gen}": seconds / calls * 1e6 for gen, seconds in enumerate(self.seconds)}

    def __enter__(self) -> GarbageCollections:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def cpu_by_thread() -> dict[str, float]:
    """CPU seconds (user + system) of each live thread of this process, by name: where the
    pipeline's time goes (the agent's thread, the outcome worker, each sink's lane, the
    Kafka client's own threads). Linux only (``/proc``); elsewhere empty."""
    task_dir = Path("/proc/self/task")
    if not task_dir.is_dir():
        return {}
    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    seconds: dict[str, float] = {}
    for task in task_dir.iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        # Threads the interpreter did not start (librdkafka's) have no Python name.
        name = names.get(int(task.name), "native (e.g. librdkafka)")
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def raw_otel() -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], int], Callable[[], Any]]:
    """The same call with raw OpenTelemetry (BatchSpanProcessor, no-op exporter): the call,
    its flush, the count of spans exported, and the provider's shutdown."""
    from opentelemetry.trace import SpanKind

    provider, exporter = batch_provider()
    tracer = provider.get_tracer("bench.raw")
    internal = SpanKind.INTERNAL

    def raw() -> Any:
        with tracer.start_as_current_span(
            SPAN_NAME, kind=internal, attributes=START_ATTRIBUTES
        ) as span:
            result = plan("task")
            span.set_attributes(END_ATTRIBUTES)
            return result

    return raw, provider.force_flush, lambda: exporter.exported, provider.shutdown


def _finished_spans(count: int) -> list[Any]:
    """Spans of real ``@oa.agent`` calls, captured once, to feed the worker with."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_agents._state import RUNTIME

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    RUNTIME.use_tracer_provider(provider)  # until configure() points it at its own
    traced = oa.agent(**OPTIONS)(plan)
    for _ in range(count):
        traced("task")
    return list(memory.get_finished_spans())


def agent_latency(
    telemetry: Any, busy: bool, seconds: float, rate: float, spans: list[Any]
) -> dict[str, float]:
    processor = telemetry.processor
    traced = oa.agent(**OPTIONS)(plan)
    stop = threading.Event()
    fed = 0

    def feed() -> None:
        # From a C-level timer wait, not Python work: only the worker competes for the GIL.
        nonlocal fed
        while not stop.wait(0.01):
            for span in spans:
                processor.on_end(span)
            fed += len(spans)

    feeder = threading.Thread(target=feed, daemon=True) if busy else None
    if feeder is not None:
        feeder.start()
    latencies = []
    step = 1 / rate
    start = time.perf_counter()
    for i in range(int(seconds * rate)):
        due = start + i * step
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        traced("task")
        latencies.append((time.perf_counter() - t0) * 1e6)
    stop.set()
    if feeder is not None:
        feeder.join()
    telemetry.force_flush(60_000)
    latencies.sort()
    return {
        "p50_us": statistics.median(latencies),
        "p99_us": latencies[int(0.99 * (len(latencies) - 1))],
        "max_us": latencies[-1],
        "spans_fed_per_s": fed / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument(
        "--kafka", help="bootstrap servers, or 'start' for the test harness's broker"
    )
    parser.add_argument(
        "--producer-config",
        type=json.loads,
        default=None,
        help='librdkafka properties as JSON, e.g. \'{"compression.type": "lz4"}\'',
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="interleaved blocks of ours and raw OTel"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each latency run")
    parser.add_argument("--rate", type=float, default=500.0, help="agent calls/s when timing")
    parser.add_argument("--feed", type=int, default=200, help="spans fed to the worker per 10 ms")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="otel-agents-worker-"))
    for key in [k for k in os.environ if k.startswith("OTEL_")]:
        del os.environ[key]
    broker = None
    bootstrap = args.kafka
    if bootstrap == "start":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.kafka.broker import KafkaBroker

        broker = KafkaBroker(scratch / "kafka")
        broker.start()
        bootstrap = broker.bootstrap
    try:
        _measure(args, scratch, bootstrap)
    finally:
        if broker is not None:
            broker.stop()
        shutil.rmtree(scratch, ignore_errors=True)  # the log of 200,000 events: ~400 MB


def _measure(args: argparse.Namespace, scratch: Path, bootstrap: str | None) -> None:
    spans = _finished_spans(args.feed)
    telemetry = oa.configure(
        service_name="bench",
        outcome_log=None if bootstrap else scratch / "outcomes.jsonl",
        kafka_bootstrap_servers=bootstrap,
        kafka_producer_config=args.producer_config,
    )
    loop = tight_loop(args.calls, args.rounds, telemetry)
    print(
        f"tight loop, {loop['calls']:,} calls ({'Kafka' if bootstrap else 'default sinks'}) "
        f"and as many raw-OTel calls, in {args.rounds} interleaved rounds: "
        f"{loop['calls_per_s']:,.0f} calls/s; CPU incl. flush {loop['cpu_us_per_call']:.1f} "
        f"µs/call against raw OTel's {loop['raw_cpu_us_per_call']:.1f}; "
        f"ratio {loop['ratio_median']:.2f}× (median of rounds; {loop['ratio_min']:.2f}–"
        f"{loop['ratio_max']:.2f}; of the sums {loop['ratio_of_sums']:.2f}×); "
        f"events {loop['events']:,.0f}, dropped {loop['dropped']:,.0f}, caller exports "
        f"{loop['caller_exports']:,.0f}, failed {loop['failed']:,.0f}; raw OTel dropped "
        f"{loop['raw_dropped']:,.0f}"
        + (
            f"; Kafka acknowledged {loop['kafka_sent']:,.0f}, spooled {loop['kafka_spooled']:,.0f}"
            if "kafka_sent" in loop
            else ""
        )
    )
    print(
        "  garbage collection, CPU µs per call by generation: "
        + ", ".join(f"gen{g} {loop[f'gc{g}']:.2f}" for g in range(3))
        + " (raw OTel's: "
        + ", ".join(f"gen{g} {loop[f'raw_gc{g}']:.2f}" for g in range(3))
        + ")"
    )
    split = {k[len("thread:") :]: v for k, v in loop.items() if k.startswith("thread:") and v > 0}
    if split:
        busiest_first = sorted(split.items(), key=lambda item: -item[1])
        print(
            "  CPU by thread, µs per call: "
            + ", ".join(f"{name} {us:.1f}" for name, us in busiest_first)
            + f" (raw OTel's calls: {loop['raw_cpu_us_per_call']:.1f} in all)"
        )
    for busy in (False, True):
        lat = agent_latency(telemetry, busy, args.seconds, args.rate, spans)
        print(
            f"agent call latency at {args.rate:g}/s, worker {'busy' if busy else 'idle'}: "
            f"p50 {lat['p50_us']:.0f} µs, p99 {lat['p99_us']:.0f} µs, max {lat['max_us']:.0f} µs"
            + (f" (worker fed {lat['spans_fed_per_s']:,.0f} spans/s)" if busy else "")
        )
    oa.shutdown()


if __name__ == "__main__":
    main()
