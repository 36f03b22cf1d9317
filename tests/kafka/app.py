"""A small "agent application" run as a subprocess by the Kafka fault tests.

It makes ``--calls`` agent calls (an ``@oa.agent`` calling an ``@oa.tool``: two outcomes)
from ``--threads`` threads, timing every call, then optionally waits until the exporter
has delivered or replayed everything, shuts down, and prints one JSON line: call timings,
exceptions seen by the agent code, exporter stats, shutdown duration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any

import otel_agents as oa
from otel_agents.export.kafka.exporter import KafkaOutcomeExporter


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--spool-dir", required=True)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between calls")
    parser.add_argument("--producer-config", default="{}")
    parser.add_argument("--drain", type=float, default=0.0, help="seconds to wait for delivery")
    parser.add_argument("--shutdown-timeout-ms", type=int, default=None)
    args = parser.parse_args()

    if args.shutdown_timeout_ms is not None:
        os.environ["OTEL_AGENTS_KAFKA_SHUTDOWN_TIMEOUT_MS"] = str(args.shutdown_timeout_ms)
    telemetry = oa.configure(
        service_name="kafka-fault-app",
        kafka_bootstrap_servers=args.bootstrap,
        kafka_topic=args.topic,
        kafka_producer_config=json.loads(args.producer_config),
        spool_dir=args.spool_dir,
    )
    (exporter,) = [s for s in telemetry.sinks if isinstance(s, KafkaOutcomeExporter)]

    @oa.tool
    def search(i: int) -> int:
        return i

    @oa.agent
    def planner(i: int) -> int:
        return search(i)

    durations: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_thread = args.calls // args.threads

    def agent_loop() -> None:
        local: list[float] = []
        for i in range(per_thread):
            start = time.perf_counter()
            try:
                planner(i)
            except Exception as exc:  # the test asserts there are none
                with lock:
                    errors.append(repr(exc))
            local.append(time.perf_counter() - start)
            if args.pause:
                time.sleep(args.pause)
        with lock:
            durations.extend(local)

    threads = [threading.Thread(target=agent_loop) for _ in range(args.threads)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls_s = time.monotonic() - t0
    oa.force_flush(1000)  # bounded: the broker may be down

    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline:
        s = exporter.stats()
        if s.queued == 0 and not exporter.spool.has_pending():
            break
        time.sleep(0.2)

    t1 = time.monotonic()
    oa.shutdown()
    shutdown_s = time.monotonic() - t1
    durations.sort()
    result: dict[str, Any] = {
        "calls": len(durations),
        "events": 2 * len(durations),
        "errors": errors,
        "calls_seconds": calls_s,
        "call_p50_ms": durations[len(durations) // 2] * 1000,
        "call_p99_ms": durations[int(len(durations) * 0.99)] * 1000,
        "call_max_ms": durations[-1] * 1000,
        "shutdown_seconds": shutdown_s,
        "stats": exporter.stats().__dict__,
        "outcome_stats": telemetry.stats(),
        "spool_segments": len(exporter.spool.pending_segments()),
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
