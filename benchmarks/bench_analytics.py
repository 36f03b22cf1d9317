"""Analytics job benchmarks: Spark local[2] against a real local broker. Run by hand.

    python benchmarks/bench_analytics.py                  # starts a broker from the test jars
    OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP=127.0.0.1:9092 python benchmarks/bench_analytics.py

Prints:
  start-up    SparkSession (JVM) start, and both queries started (AnalyticsJob.start)
  throughput  a backlog of N outcomes (+ N/4 feedback) drained from the topics: events/s
              of the metrics query (outcomes → 2 window lengths + dead letters) and of
              the learning query (outcomes + feedback → join → pairs + windows)
  lag         outcomes produced at a steady rate with end_time = now; for each one, the
              time from produce() to its window's record being on agent-metrics
              (p50/p99), with --window/--late/--trigger as given (the expected floor is
              about window/2 + late + trigger)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT))


def _event(now: dt.datetime, i: int) -> dict[str, Any]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event_id = str(uuid.uuid4())
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "/otel-agents/bench",
        "type": "otel_agents.outcome.v1",
        "time": stamp,
        "datacontenttype": "application/json",
        "data": {
            "schema_version": "1.0",
            "event_id": event_id,
            "event_type": "outcome",
            "trace_id": uuid.uuid4().hex,
            "span_id": uuid.uuid4().hex[:16],
            "kind": "agent",
            "operation": "invoke_agent",
            "name": f"agent-{i % 20}",
            "agent_name": f"agent-{i % 20}",
            "start_time": stamp,
            "end_time": stamp,
            "duration_ms": 10.0 + i % 500,
            "status": "SUCCESS" if i % 10 else "FAILURE",
            "severity": "INFO",
            "input_tokens": 1200,
            "output_tokens": 300,
            "cost_usd": 0.0123,
            "quality_score": 0.8,
            "reward": 0.5,
            "model": "gpt-4o",
            "tags": ["bench"],
            "resource": {"service_name": "bench"},
        },
    }


def _feedback(event_id: str, now: dt.datetime) -> dict[str, Any]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    feedback_id = str(uuid.uuid4())
    return {
        "type": "otel_agents.feedback.v1",
        "data": {
            "feedback_id": feedback_id,
            "event_id": event_id,
            "kind": "positive",
            "time": stamp,
        },
    }


def _producer(bootstrap: str) -> Any:
    from confluent_kafka import Producer

    return Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 1000000}
    )


def _settings(bootstrap: str, tag: str, work: Path, args: argparse.Namespace) -> Any:
    from otel_agents.analytics.settings import AnalyticsSettings, parse_duration
    from tests.kafka.broker import create_topic

    topics = {n: create_topic(bootstrap, f"bench-{n}-{tag}", 2) for n in ("o", "f", "m", "l", "d")}
    return AnalyticsSettings(
        bootstrap_servers=bootstrap,
        checkpoint=str(work / f"ckpt-{tag}"),
        outcomes_topic=topics["o"],
        feedback_topic=topics["f"],
        metrics_topic=topics["m"],
        learning_topic=topics["l"],
        dead_letter_topic=topics["d"],
        windows_s=tuple(parse_duration(w, "--window") for w in args.window),
        late_s=parse_duration(args.late, "--late"),
        trigger_s=parse_duration(args.trigger, "--trigger"),
    )


def _drained(job: Any, expected: dict[str, int], timeout: float) -> dict[str, float]:
    """Wait until each query read ``expected`` rows; events/s over its busy batches."""
    seen: dict[str, int] = {q.name: 0 for q in job.queries}
    busy: dict[str, float] = {q.name: 0.0 for q in job.queries}
    batches: dict[str, set[int]] = {q.name: set() for q in job.queries}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(seen[n] < expected[n] for n in seen):
        for query in job.queries:
            for progress in query.recentProgress:
                batch = progress["batchId"]
                if batch in batches[query.name] or not progress["numInputRows"]:
                    continue
                batches[query.name].add(batch)
                seen[query.name] += progress["numInputRows"]
                busy[query.name] += progress["durationMs"].get("triggerExecution", 0) / 1000
        time.sleep(0.5)
    return {n: seen[n] / busy[n] if busy[n] else 0.0 for n in seen}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=500, help="outcomes/s for the lag case")
    parser.add_argument("--lag-seconds", type=float, default=60)
    parser.add_argument("--window", action="append", default=None)
    parser.add_argument("--late", default="2s")
    parser.add_argument("--trigger", default="1s")
    args = parser.parse_args()
    args.window = args.window or ["10s"]

    from tests.kafka.broker import KafkaBroker, read_topic
    from tests.spark.jars import connector_jars

    work = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    bootstrap = os.environ.get("OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP")
    broker = None
    if not bootstrap:
        broker = KafkaBroker(work / "kafka", partitions=2)
        broker.start()
        bootstrap = broker.bootstrap
    try:
        jars = connector_jars()
        from otel_agents.analytics.job import AnalyticsJob, build_session

        started = time.monotonic()
        spark = build_session(master="local[2]", jars=jars)
        spark.sparkContext.setLogLevel("ERROR")
        session_s = time.monotonic() - started

        # -- throughput: a backlog drained ------------------------------------------
        settings = _settings(bootstrap, "tp", work, args)
        producer = _producer(bootstrap)
        now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
        feedback_n = 0
        for i in range(args.events):
            event = _event(now + dt.timedelta(milliseconds=i * 3), i)
            producer.produce(settings.outcomes_topic, json.dumps(event).encode())
            if i % 4 == 0:
                fb = _feedback(event["data"]["event_id"], now + dt.timedelta(milliseconds=i * 3))
                producer.produce(settings.feedback_topic, json.dumps(fb).encode())
                feedback_n += 1
            if i % 10000 == 0:
                producer.flush(60)
        producer.flush(60)
        started = time.monotonic()
        job = AnalyticsJob(spark, settings)
        job.start()
        queries_s = time.monotonic() - started
        drain_started = time.monotonic()
        rates = _drained(
            job,
            {
                q.name: args.events if "metrics" in q.name else args.events + feedback_n
                for q in job.queries
            },
            timeout=1800,
        )
        drain_s = time.monotonic() - drain_started
        job.stop()
        print(f"start-up: SparkSession {session_s:.1f}s, all queries started {queries_s:.1f}s")
        total = args.events * len(job.queries) + feedback_n * 2
        print(
            f"throughput: {args.events} outcomes + {feedback_n} feedback drained in "
            f"{drain_s:.1f}s wall by {len(job.queries)} queries ({total / drain_s:,.0f} "
            f"rows/s read in all); busy-batch rates: "
            + ", ".join(f"{name} {rate:,.0f} rows/s" for name, rate in rates.items())
        )

        # -- lag: steady rate, produce() -> window record on agent-metrics -----------
        settings = _settings(bootstrap, "lag", work, args)
        job = AnalyticsJob(spark, settings)
        job.start()
        time.sleep(5)
        produced: list[tuple[float, float]] = []  # (produce wall time, event time)
        interval = 1.0 / args.rate
        end = time.monotonic() + args.lag_seconds
        next_at = time.monotonic()
        i = 0
        while time.monotonic() < end:
            moment = dt.datetime.now(dt.timezone.utc)
            producer.produce(settings.outcomes_topic, json.dumps(_event(moment, i)).encode())
            produced.append((time.time(), moment.timestamp()))
            producer.poll(0)
            i += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        producer.flush(30)
        window = int(settings.windows_s[0])
        # One more event past the last window, so the watermark closes it.
        tail = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=window + settings.late_s)
        producer.produce(settings.outcomes_topic, json.dumps(_event(tail, 0)).encode())
        producer.flush(30)
        time.sleep(window + settings.late_s + 15)
        records = read_topic(bootstrap, settings.metrics_topic, expect=1, timeout=60)
        first_seen: dict[str, float] = {}
        for message in records:
            value = json.loads(message.value())
            at = message.timestamp()[1] / 1000
            first_seen[value["window_start"]] = min(first_seen.get(value["window_start"], at), at)
        lags = []
        for wall, event_time in produced:
            start = int(event_time) // window * window
            key = dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            )
            if key in first_seen:
                lags.append(first_seen[key] - wall)
        job.stop()
        lags.sort()
        if lags:
            p50 = statistics.median(lags)
            p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
            print(
                f"lag: {len(lags)}/{len(produced)} outcomes at {args.rate}/s, window {window}s, "
                f"late {settings.late_s:g}s, trigger {settings.trigger_s:g}s: "
                f"p50 {p50:.1f}s, p99 {p99:.1f}s "
                f"(floor about window/2 + late + trigger = "
                f"{window / 2 + settings.late_s + settings.trigger_s:.1f}s)"
            )
        spark.stop()
    finally:
        if broker is not None:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
