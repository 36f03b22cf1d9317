"""End to end, as deployed: each instrumentation exports the way its users run it.

    benchmarks/.venv/bin/python benchmarks/bench_end_to_end.py [--markdown]
    .venv/bin/python benchmarks/bench_end_to_end.py --subjects otel-agents,otel-agents-otlp

Every subject sends its spans with its own OTLP/HTTP exporter to a real OpenTelemetry
Collector on 127.0.0.1 (built from ``collector/builder-config.yaml`` by the test harness,
config ``benchmarks/otelcol-e2e.yaml``), which counts what arrives per receiver.
otel-agents also sends its OutcomeEvents to a real Kafka broker (the test harness's
KRaft broker), counted from the topic's offsets. Peers: traceloop-sdk, logfire,
openinference, langfuse, mlflow-tracing (the ``bench`` extra).

One process per subject. In each one, raw OpenTelemetry doing the same work with the SDK's
``BatchSpanProcessor`` + ``OTLPSpanExporter`` (HTTP) to its own receiver is the baseline:
every ratio is to that, measured in the same process and interleaved with the subject.

* **flat out**: blocks of calls in a tight loop; wall time of the loop, and process CPU
  time (all threads: exporters' and librdkafka's too) until everything is flushed.
* **fixed rate**: calls paced at ``--rate`` per second for ``--seconds``; the caller's
  wall time per call (mean and p99) and process CPU per call, flush included.
* **delivered / sent**: spans the Collector accepted (and outcomes the topic holds)
  against calls made, after a final flush.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLLECTOR_CONFIG = HERE / "otelcol-e2e.yaml"
LANGFUSE_PATH = "/api/public/otel/v1/traces"

# --------------------------------------------------------------------------------------
# The subjects, each set up as its documentation says, exporting OTLP/HTTP to ``sink``.
# A builder returns (call once, flush everything, extra counters for the report).
# --------------------------------------------------------------------------------------
Built = tuple[Callable[[], Any], Callable[[], Any], Callable[[], dict[str, int]]]


def _no_counters() -> dict[str, int]:
    return {}


def build_ours(sink: str, bootstrap: str | None, topic: str | None) -> Built:
    from _harness import plan

    import otel_agents as oa

    telemetry = oa.configure(
        service_name="bench",
        otlp_endpoint=sink,
        otlp_protocol="http/protobuf",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic=topic,
    )
    traced = oa.agent(
        name="planner",
        agent_id="planner-1",
        version="1.2.0",
        model="gpt-4o-mini",
        provider="openai",
    )(plan)

    def counters() -> dict[str, int]:
        stats = telemetry.stats()
        out = {f"outcome_{k}": v for k, v in stats.items() if k != "queued"}
        for sink_ in telemetry.sinks:
            if hasattr(sink_, "stats") and hasattr(sink_, "spool"):
                kafka = sink_.stats()
                out.update(kafka_sent=kafka.sent, kafka_spooled=kafka.spooled)
        return out

    return (lambda: traced("task")), (lambda: telemetry.force_flush(60_000)), counters


def build_traceloop(sink: str, *_: Any) -> Built:
    os.environ["TRACELOOP_TELEMETRY"] = "false"
    os.environ["TRACELOOP_METRICS_ENABLED"] = "false"
    os.environ["TRACELOOP_LOGGING_ENABLED"] = "false"
    from _harness import plan
    from opentelemetry import trace
    from traceloop.sdk import Traceloop
    from traceloop.sdk.decorators import agent

    # An http(s) endpoint selects its OTLP/HTTP exporter (<endpoint>/v1/traces).
    Traceloop.init(app_name="bench", api_endpoint=sink, telemetry_enabled=False, instruments=set())
    traced = agent(name="planner")(plan)
    provider: Any = trace.get_tracer_provider()
    return (lambda: traced("task")), (lambda: provider.force_flush(60_000)), _no_counters


def build_logfire(sink: str, *_: Any) -> Built:
    # Logfire's documented way to send to another OTLP backend: the standard variable.
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = sink + "/v1/traces"
    import logfire
    from _harness import plan

    logfire.configure(send_to_logfire=False, console=False, metrics=False, service_name="bench")
    traced = logfire.instrument("planner")(plan)
    return (lambda: traced("task")), (lambda: logfire.force_flush(60_000)), _no_counters


def build_openinference(sink: str, *_: Any) -> Built:
    from _harness import plan
    from openinference.instrumentation import TracerProvider
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(sink + "/v1/traces")))
    traced = provider.get_tracer("bench").agent(name="planner")(plan)
    return (lambda: traced("task")), (lambda: provider.force_flush(60_000)), _no_counters


def build_langfuse(sink: str, *_: Any) -> Built:
    from _harness import plan
    from langfuse import Langfuse, observe

    # The sink is a Collector receiver listening on Langfuse's OTLP path.
    client = Langfuse(public_key="pk-lf-x", secret_key="sk-lf-x", host=sink)
    traced = observe(name="planner", as_type="agent")(plan)
    return (lambda: traced("task")), client.flush, _no_counters


def build_mlflow(sink: str, *_: Any) -> Built:
    # With an OTLP traces endpoint set, mlflow exports spans there (OTLP/HTTP).
    os.environ["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:1"
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = sink + "/v1/traces"
    os.environ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf"
    import mlflow
    from _harness import plan
    from mlflow.tracing import provider as mlflow_provider

    traced = mlflow.trace(name="planner", span_type="AGENT")(plan)

    def flush() -> None:
        processor = mlflow_provider._get_span_processor()
        if processor is not None:
            processor.force_flush(60_000)

    return (lambda: traced("task")), flush, _no_counters


SUBJECTS: dict[str, Callable[..., Built]] = {
    "otel-agents": build_ours,  # OTLP + OutcomeEvents to Kafka
    "otel-agents-otlp": build_ours,  # OTLP + the default local sinks (no Kafka)
    "traceloop-sdk": build_traceloop,
    "logfire": build_logfire,
    "openinference": build_openinference,
    "langfuse": build_langfuse,
    "mlflow-tracing": build_mlflow,
}
KAFKA_SUBJECTS = {"otel-agents"}


def build_baseline(sink: str) -> Built:
    """Raw OTel: the same 10 attributes, the SDK's batch processor and OTLP/HTTP exporter."""
    from _harness import END_ATTRIBUTES, SPAN_NAME, START_ATTRIBUTES, plan
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(sink + "/v1/traces")))
    tracer = provider.get_tracer("bench.raw")
    internal = SpanKind.INTERNAL

    def raw() -> Any:
        with tracer.start_as_current_span(
            SPAN_NAME, kind=internal, attributes=START_ATTRIBUTES
        ) as span:
            result = plan("task")
            span.set_attributes(END_ATTRIBUTES)
            return result

    return raw, (lambda: provider.force_flush(60_000)), _no_counters


# --------------------------------------------------------------------------------------
# One subject's process
# --------------------------------------------------------------------------------------
def _flat_out(call: Callable[[], Any], flush: Callable[[], Any], n: int) -> dict[str, float]:
    wall, cpu = time.perf_counter_ns, time.process_time_ns
    w0, c0 = wall(), cpu()
    for _ in range(n):
        call()
    w1 = wall()
    flush()
    w2, c2 = wall(), cpu()
    return {
        "wall_us": (w1 - w0) / n / 1000,
        "wall_flushed_us": (w2 - w0) / n / 1000,
        "cpu_us": (c2 - c0) / n / 1000,
    }


def _fixed_rate(
    call: Callable[[], Any], flush: Callable[[], Any], rate: float, seconds: float
) -> dict[str, float]:
    wall, cpu = time.perf_counter_ns, time.process_time_ns
    n = int(rate * seconds)
    step = 1e9 / rate
    latencies = []
    c0 = cpu()
    start = wall()
    for i in range(n):
        due = start + i * step
        now = wall()
        if due > now:
            time.sleep((due - now) / 1e9)
        t0 = wall()
        call()
        latencies.append((wall() - t0) / 1000)
    flush()
    c1 = cpu()
    latencies.sort()
    return {
        "calls": n,
        "wall_us": statistics.fmean(latencies),
        "p99_us": latencies[int(0.99 * (n - 1))],
        "cpu_us": (c1 - c0) / n / 1000,
    }


def run_child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    subject = SUBJECTS[args.child]
    sink = args.langfuse_sink if args.child == "langfuse" else args.sink
    kafka = (args.bootstrap, args.topic) if args.child in KAFKA_SUBJECTS else (None, None)
    base_call, base_flush, _ = build_baseline(args.baseline_sink)
    call, flush, counters = subject(sink, *kafka)
    cases = {"baseline": (base_call, base_flush), "subject": (call, flush)}
    made = dict.fromkeys(cases, 0)
    for name, (c, f) in cases.items():  # warm-up, and mlflow sets up on first use
        for _ in range(args.warmup):
            c()
        f()
        made[name] += args.warmup
    flat: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    for _ in range(args.repeats):  # interleaved: load that comes and goes hits both
        for name, (c, f) in cases.items():
            flat[name].append(_flat_out(c, f, args.calls))
            made[name] += args.calls
    rate: dict[str, dict[str, float]] = {}
    if args.seconds > 0:
        for name, (c, f) in cases.items():
            rate[name] = _fixed_rate(c, f, args.rate, args.seconds)
            made[name] += int(rate[name]["calls"])
    base_flush()
    flush()
    time.sleep(0.5)  # let exporters' last requests land before the parent counts
    result = {"flat": flat, "rate": rate, "made": made, "counters": counters()}
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")


# --------------------------------------------------------------------------------------
# The parent: Collector, broker, one child per subject, the table
# --------------------------------------------------------------------------------------
def _accepted(telemetry_port: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{telemetry_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    counts: dict[str, float] = {}
    for line in body.splitlines():
        if line.startswith("otelcol_receiver_accepted_spans"):
            receiver = line.split('receiver="', 1)[1].split('"', 1)[0]
            counts[receiver] = counts.get(receiver, 0.0) + float(line.rsplit(" ", 1)[1])
    return counts


def _topic_count(bootstrap: str, topic: str) -> int:
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=30)
    partitions = metadata.topics[topic].partitions
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4()}"})
    try:
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for p in partitions
        )
    finally:
        consumer.close()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", default=",".join(SUBJECTS))
    parser.add_argument("--calls", type=int, default=5_000, help="calls per flat-out block")
    parser.add_argument("--repeats", type=int, default=3, help="flat-out blocks per case")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--rate", type=float, default=500.0, help="calls/s of the paced run")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the paced run")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path)
    # child mode (internal)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sink", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-sink", help=argparse.SUPPRESS)
    parser.add_argument("--langfuse-sink", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args()


def _run_subject(
    name: str,
    args: argparse.Namespace,
    collector: Any,
    ports: dict[str, int],
    bootstrap: str,
    workdir: Path,
) -> dict[str, Any]:
    topic = None
    if name in KAFKA_SUBJECTS:
        from tests.kafka.broker import create_topic

        topic = create_topic(bootstrap, f"bench-e2e-{uuid.uuid4().hex[:8]}", partitions=3)
    out = workdir / f"{name}.json"
    before = _accepted(collector.telemetry_port)
    command = [
        args.python, str(Path(__file__).resolve()), f"--child={name}",
        f"--sink={collector.otlp_http_endpoint}",
        f"--baseline-sink=http://127.0.0.1:{ports['BASELINE']}",
        f"--langfuse-sink=http://127.0.0.1:{ports['LANGFUSE']}",
        f"--bootstrap={bootstrap}", f"--topic={topic or ''}", f"--out={out}",
        f"--calls={args.calls}", f"--repeats={args.repeats}", f"--warmup={args.warmup}",
        f"--rate={args.rate}", f"--seconds={args.seconds}",
    ]  # fmt: skip
    print(f"… {name}", file=sys.stderr, flush=True)
    done = subprocess.run(
        command, cwd=workdir, env=_clean_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not out.exists():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-4:])
        return {"subject": name, "error": tail or f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    after = _accepted(collector.telemetry_port)
    receiver = "otlp/langfuse" if name == "langfuse" else "otlp"
    result["delivered"] = {
        "baseline": after.get("otlp/baseline", 0) - before.get("otlp/baseline", 0),
        "subject": after.get(receiver, 0) - before.get(receiver, 0),
    }
    if topic is not None:
        result["delivered"]["outcomes"] = _topic_count(bootstrap, topic)
    result["subject"] = name
    return result


def _rows(result: dict[str, Any]) -> dict[str, Any]:
    flat, rate, made, got = result["flat"], result["rate"], result["made"], result["delivered"]

    def med(case: str, key: str) -> float:
        return statistics.median(sample[key] for sample in flat[case])

    def paired(key: str) -> float:
        pairs = zip(flat["subject"], flat["baseline"], strict=True)
        return statistics.median(s[key] / b[key] for s, b in pairs)

    row = {
        "subject": result["subject"],
        "flat_wall": med("subject", "wall_us"),
        "flat_wall_ratio": paired("wall_us"),
        "flat_cpu": med("subject", "cpu_us"),
        "flat_cpu_ratio": paired("cpu_us"),
        "base_flat_cpu": med("baseline", "cpu_us"),
        "spans": f"{got['subject']:,.0f}/{made['subject']:,}",
        "base_spans": f"{got['baseline']:,.0f}/{made['baseline']:,}",
        "outcomes": (f"{got['outcomes']:,}/{made['subject']:,}" if "outcomes" in got else ""),
        "counters": result.get("counters", {}),
    }
    if rate:
        s, b = rate["subject"], rate["baseline"]
        row.update(
            rate_wall=s["wall_us"], rate_p99=s["p99_us"], rate_cpu=s["cpu_us"],
            rate_cpu_ratio=s["cpu_us"] / b["cpu_us"], rate_wall_ratio=s["wall_us"] / b["wall_us"],
            base_rate_cpu=b["cpu_us"],
        )  # fmt: skip
    return row


def _print(rows: list[dict[str, Any]], args: argparse.Namespace, markdown: bool) -> None:
    head = (
        "subject", "flat out: wall µs/call (× raw)", "flat out: CPU µs/call incl. flush (× raw)",
        f"{args.rate:g}/s: wall µs/call, p99", f"{args.rate:g}/s: CPU µs/call (× raw)",
        "spans delivered/sent", "outcomes to Kafka delivered/sent",
        "raw OTel: CPU µs flat / paced; spans",
    )  # fmt: skip
    lines = []
    for r in rows:
        paced = paced_cpu = base_paced = ""
        if "rate_wall" in r:
            paced = f"{r['rate_wall']:.1f}, {r['rate_p99']:.0f}"
            paced_cpu = f"{r['rate_cpu']:.1f} ({r['rate_cpu_ratio']:.2f}×)"
            base_paced = f"{r['base_rate_cpu']:.1f}"
        lines.append(
            (
                r["subject"],
                f"{r['flat_wall']:.1f} ({r['flat_wall_ratio']:.2f}×)",
                f"{r['flat_cpu']:.1f} ({r['flat_cpu_ratio']:.2f}×)",
                paced,
                paced_cpu,
                r["spans"],
                r["outcomes"],
                f"{r['base_flat_cpu']:.1f} / {base_paced}; {r['base_spans']}",
            )
        )
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        for line in lines:
            print("  ".join(f"{h}: {v}" for h, v in zip(head, line, strict=True)))
    for r in rows:
        if r["counters"]:
            print(f"{r['subject']} counters: {r['counters']}")


def main() -> None:
    args = _parse()
    if args.child:
        run_child(args)
        return
    sys.path.insert(0, str(ROOT))
    from tests import ops_harness
    from tests.kafka.broker import KafkaBroker

    names = [n.strip() for n in args.subjects.split(",") if n.strip()]
    unknown = set(names) - set(SUBJECTS)
    if unknown:
        raise SystemExit(f"unknown subject(s) {sorted(unknown)}; choose from {list(SUBJECTS)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="otel-agents-e2e-") as scratch:
        workdir = Path(scratch)
        ports = {key: ops_harness.free_port() for key in ("BASELINE", "LANGFUSE")}
        collector = ops_harness.Collector(
            ops_harness.build_collector(),
            workdir,
            jaeger_otlp_endpoint="",
            configs=[COLLECTOR_CONFIG],
            extra_env={f"OTELCOL_{k}_HTTP_ENDPOINT": f"127.0.0.1:{v}" for k, v in ports.items()},
        )
        broker = None
        try:
            bootstrap = ""
            if KAFKA_SUBJECTS & set(names):
                broker = KafkaBroker(workdir / "kafka")
                broker.start()
                bootstrap = broker.bootstrap
            load = os.getloadavg()[0]
            for name in names:
                results.append(_run_subject(name, args, collector, ports, bootstrap, workdir))
        finally:
            if broker is not None:
                broker.stop()
            collector.stop()
    print(
        f"\n{len(os.sched_getaffinity(0))} cores, python {sys.version.split()[0]}, load average "
        f"{load:.1f} → {os.getloadavg()[0]:.1f}; flat out {args.repeats} × {args.calls} calls, "
        f"paced {args.rate:g}/s for {args.seconds:g} s; × raw = paired ratio to raw OTel + "
        "OTLP/HTTP exporter in the same process"
    )
    rows = []
    for result in results:
        if "error" in result:
            print(f"{result['subject']}: failed: {result['error']}", file=sys.stderr)
        else:
            rows.append(_rows(result))
    _print(rows, args, args.markdown)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
