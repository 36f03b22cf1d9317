"""Soak: outcome events to a real Kafka broker for a long time, restarting the broker.

Not a CI test: run by hand. Defaults are the issue's: 30 minutes at 2,000 events/s with
a broker restart (SIGKILL, then start) every 5 minutes. Every ``--report-every`` seconds
it prints RSS, spool size and the exporter's counters; at the end a real consumer counts
distinct ``event_id`` values (0 lost is the pass mark) and duplicates.

    python benchmarks/soak_kafka.py                         # the full 30 minutes
    python benchmarks/soak_kafka.py --minutes 3 --restart-every 60   # a short run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=2000, help="outcome events per second")
    parser.add_argument("--restart-every", type=float, default=300.0, help="seconds")
    parser.add_argument("--down-for", type=float, default=5.0, help="seconds the broker is away")
    parser.add_argument("--report-every", type=float, default=30.0)
    args = parser.parse_args()

    import otel_agents as oa
    from otel_agents.events.outcome import OutcomeEvent
    from otel_agents.export.kafka.exporter import KafkaOutcomeExporter
    from tests.kafka.broker import KafkaBroker, read_topic

    work = Path(tempfile.mkdtemp(prefix="otel-agents-soak-"))
    broker = KafkaBroker(work / "kafka")
    broker.start()
    topic = broker.create_topic(f"soak-{uuid.uuid4().hex[:8]}")
    telemetry = oa.configure(
        service_name="soak",
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_topic=topic,
        spool_dir=work / "spool",
    )
    (exporter,) = [s for s in telemetry.sinks if isinstance(s, KafkaOutcomeExporter)]

    @oa.agent(name="soak-agent")
    def agent(i: int) -> int:
        oa.record(input_tokens=i % 500, output_tokens=50, cost_usd=0.0001)
        return i

    stop = threading.Event()
    produced = 0
    worst_call_ms = 0.0

    def load() -> None:
        nonlocal produced, worst_call_ms
        interval = 1.0 / args.rate
        next_at = time.perf_counter()
        while not stop.is_set():
            started = time.perf_counter()
            agent(produced)
            worst_call_ms = max(worst_call_ms, (time.perf_counter() - started) * 1000)
            produced += 1
            next_at += interval
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)

    def chaos() -> None:
        while not stop.wait(args.restart_every):
            broker.kill()
            print(f"# {time.strftime('%H:%M:%S')} broker killed", flush=True)
            if stop.wait(args.down_for):
                break
            broker.restart()
            print(f"# {time.strftime('%H:%M:%S')} broker back", flush=True)

    threads = [threading.Thread(target=load), threading.Thread(target=chaos, daemon=True)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    end = started + args.minutes * 60
    print("t_s,produced,rss_mb,spool_bytes,sent,spooled,replayed,dropped,worst_call_ms")
    try:
        while time.monotonic() < end:
            time.sleep(min(args.report_every, max(0.0, end - time.monotonic())))
            s = exporter.stats()
            print(
                f"{time.monotonic() - started:.0f},{produced},{_rss_mb():.1f},{s.spool_bytes},"
                f"{s.sent},{s.spooled},{s.replayed},{s.dropped},{worst_call_ms:.1f}",
                flush=True,
            )
    finally:
        stop.set()
        threads[0].join()
    if not broker.running:
        broker.restart()
    # Let the exporter drain and replay what it spooled, then shut down (bounded).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (exporter.stats().queued or exporter.spool.has_pending()):
        time.sleep(1)
    oa.shutdown()
    messages = read_topic(broker.bootstrap, topic, expect=produced, timeout=300)
    ids = [OutcomeEvent.from_json_bytes(m.value()).event_id for m in messages]  # type: ignore[attr-defined]
    summary = {
        "minutes": args.minutes,
        "rate": args.rate,
        "produced": produced,
        "delivered_distinct": len(set(ids)),
        "lost": produced - len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "final_rss_mb": round(_rss_mb(), 1),
        "worst_call_ms": round(worst_call_ms, 1),
        "stats": exporter.stats().__dict__,
    }
    print(json.dumps(summary, indent=2))
    broker.stop()
    return 0 if summary["lost"] == 0 else 1


if __name__ == "__main__":
    os.environ.setdefault("OTEL_SERVICE_NAME", "soak")
    sys.exit(main())
