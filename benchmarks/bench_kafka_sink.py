"""Where the Kafka sink's time goes, per OutcomeEvent, against a real broker.

    .venv/bin/python benchmarks/bench_kafka_sink.py --kafka start [--producer-config JSON]

Builds 2,000 events from real ``@oa.agent`` spans, then, once per round with fresh events
(nothing cached), times on this one thread: ``to_json_bytes`` alone (the event model's
cost, shared with the JSON-lines sink), ``export_events`` in batches of 500 (the same
serialisation plus the produce loop), and ``force_flush`` (the delivery reports, each a
GIL round trip and a ``Message`` built by confluent-kafka). The rest of the process CPU
in a round is librdkafka's own threads (batching, compression, network), shown per
thread. The exporter's background thread is not started, so every report is served on
the measured thread. Prints the median over the rounds, µs per event.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_outcome_worker import _finished_spans

from otel_agents.events.outcome import events_from_spans
from otel_agents.export.kafka.exporter import KafkaOutcomeExporter

BATCH = 500


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds of every thread of this process, by thread id, with its name."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[str, float]] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            name = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / ticks)
    return out


def measure(bootstrap: str, producer_config: dict[str, Any] | None, rounds: int) -> None:
    spans = _finished_spans(2000)
    exporter = KafkaOutcomeExporter(
        bootstrap_servers=bootstrap,
        topic="bench-sink-" + uuid.uuid4().hex[:8],
        producer_config=producer_config,
        spool_dir=tempfile.mkdtemp(prefix="otel-agents-sink-"),
    )
    exporter._ensure_thread = lambda: None  # type: ignore[method-assign]
    exporter.export_events(events_from_spans(spans[:10]))
    exporter.force_flush(30_000)
    core = exporter._core
    serve_reports = core.poll
    steps: dict[str, list[float]] = {
        "to_json_bytes (event model)": [],
        "produce loop (export_events minus to_json_bytes)": [],
        "delivery reports (served by force_flush)": [],
        "librdkafka threads": [],
        "total, process CPU": [],
    }
    by_thread: dict[str, list[float]] = {}
    for _ in range(rounds):
        for_json, for_export = events_from_spans(spans), events_from_spans(spans)
        n = len(for_export)
        t0 = time.thread_time()
        for event in for_json:
            event.to_json_bytes(exporter._max_value_bytes)
        serialise = time.thread_time() - t0
        core.poll = lambda timeout_s=0.0: None  # type: ignore[method-assign]
        threads0, p0, t0 = _thread_cpu(), time.process_time(), time.thread_time()
        for i in range(0, n, BATCH):
            exporter.export_events(for_export[i : i + BATCH])
        t1 = time.thread_time()
        core.poll = serve_reports  # type: ignore[method-assign]
        exporter.force_flush(60_000)
        t2, p1, threads1 = time.thread_time(), time.process_time(), _thread_cpu()
        steps["to_json_bytes (event model)"].append(serialise / n)
        steps["produce loop (export_events minus to_json_bytes)"].append((t1 - t0 - serialise) / n)
        steps["delivery reports (served by force_flush)"].append((t2 - t1) / n)
        steps["librdkafka threads"].append(((p1 - p0) - (t2 - t0)) / n)
        steps["total, process CPU"].append((p1 - p0) / n)
        for tid, (name, cpu) in threads1.items():
            if name.startswith("rdk:"):
                spent = cpu - threads0.get(tid, (name, 0.0))[1]
                by_thread.setdefault(name, []).append(spent / n)
    stats = exporter.stats()
    exporter.shutdown()
    print(
        f"Kafka sink per event, {rounds} rounds of {len(spans):,} fresh events "
        f"(config {producer_config or 'defaults'}; load average {os.getloadavg()[0]:.1f}):"
    )
    for name, values in steps.items():
        # Medians: the produce loop is a difference of two timings, its min means little.
        print(f"  {name:52s} median {statistics.median(values) * 1e6:5.2f} µs")
    for name, values in sorted(by_thread.items()):
        if max(values) > 0:
            print(
                f"    {name:50s} median {statistics.median(values) * 1e6:5.2f} µs "
                "(clock ticks: 10 ms resolution)"
            )
    print(
        f"  sent {stats.sent:,}, spooled {stats.spooled}, dropped {stats.dropped}, "
        f"delivery latency p50 {stats.delivery_latency_p50_ms} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", default="start", help="bootstrap servers, or 'start'")
    parser.add_argument("--producer-config", type=json.loads, default=None)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for key in [k for k in os.environ if k.startswith("OTEL_")]:
        del os.environ[key]
    broker = None
    bootstrap = args.kafka
    if bootstrap == "start":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.kafka.broker import KafkaBroker

        broker = KafkaBroker(Path(tempfile.mkdtemp(prefix="otel-agents-sink-kafka-")))
        broker.start()
        bootstrap = broker.bootstrap
    try:
        measure(bootstrap, args.producer_config, args.rounds)
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    main()
