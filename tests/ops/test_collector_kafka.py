"""The Collector's optional Kafka overlay against a real broker: spans in through the
kafka receiver reach the trace backend and are republished by the kafka exporter; and
the demo's traces cross Kafka between two Collectors into Jaeger, whole."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ops_harness
import pytest
from ops_harness import COLLECTOR_CONFIG, REPO

# The Collector build may run in this module's first test (minutes on a cold machine).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(ops_harness.COLLECTOR_TEST_TIMEOUT_S),
]

KAFKA_OVERLAY = REPO / "collector" / "otelcol-kafka.yaml"
IN_TOPIC = "otlp_spans"
OUT_TOPIC = "otel-traces"


@pytest.fixture
def bootstrap(kafka_bootstrap: str) -> str:
    """The session broker of the Kafka exporter's tests."""
    return kafka_bootstrap


@pytest.fixture
def collector(
    otelcol_binary: Path,
    bootstrap: str,
    trace_sink: ops_harness.OtlpTraceSink,
    tmp_path: Path,
) -> Iterator[ops_harness.Collector]:
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, 1, 1) for t in (IN_TOPIC, OUT_TOPIC)])
    for future in futures.values():
        try:
            future.result(30)
        except Exception as exc:  # an earlier test may have made it already
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    try:
        started = ops_harness.Collector(
            otelcol_binary,
            tmp_path,
            trace_sink.endpoint,
            configs=(COLLECTOR_CONFIG, KAFKA_OVERLAY),
            extra_env={"KAFKA_BROKERS": bootstrap},
        )
    except ops_harness.ComponentUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield started
    finally:
        started.stop()


def _request(span_name: str) -> bytes:
    """One OTLP ExportTraceServiceRequest holding one agent span, serialised."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value="kafka-ingest"))
    )
    span = resource_spans.scope_spans.add().spans.add()
    span.trace_id = uuid.uuid4().bytes
    span.span_id = uuid.uuid4().bytes[:8]
    span.name = span_name
    span.kind = Span.SPAN_KIND_INTERNAL
    span.start_time_unix_nano = time.time_ns() - 5_000_000
    span.end_time_unix_nano = time.time_ns()
    for key, value in (
        ("gen_ai.operation.name", "invoke_agent"),
        ("gen_ai.agent.name", "kafka-in"),
        ("agent.outcome.status", "SUCCESS"),
    ):
        span.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
    payload: bytes = request.SerializeToString()
    return payload


def _span_names(payload: bytes) -> set[str]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    request.ParseFromString(payload)
    return {
        span.name for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans
    }


def test_spans_from_kafka_reach_the_backend_and_are_republished(
    collector: ops_harness.Collector, bootstrap: str, trace_sink: ops_harness.OtlpTraceSink
) -> None:
    from confluent_kafka.cimpl import Consumer, Producer

    name = f"invoke_agent kafka-in-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(IN_TOPIC, _request(name))
    assert producer.flush(30) == 0

    deadline = time.monotonic() + 60
    while name not in {span.name for _, _, span in trace_sink.spans()}:
        assert time.monotonic() < deadline, f"span not at the backend:\n{collector.tail()}"
        time.sleep(0.5)

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"ops-test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([OUT_TOPIC])
        republished: set[str] = set()
        while name not in republished:
            assert time.monotonic() < deadline, f"span not republished:\n{collector.tail()}"
            message = consumer.poll(1.0)
            if message is not None and message.error() is None and message.value():
                republished |= _span_names(bytes(message.value() or b""))
    finally:
        consumer.close()


# --- app -> Collector A -> Kafka -> Collector B -> Jaeger -------------------------------
def _create_topics(bootstrap: str, *names: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, 3, 1) for t in names]).values():
        future.result(30)


def _kafka_collector(
    binary: Path, workdir: Path, bootstrap: str, backend: str, in_topic: str, out_topic: str
) -> ops_harness.Collector:
    workdir.mkdir(parents=True, exist_ok=True)
    return ops_harness.Collector(
        binary,
        workdir,
        backend,
        configs=(COLLECTOR_CONFIG, KAFKA_OVERLAY),
        extra_env={
            "KAFKA_BROKERS": bootstrap,
            "OTELCOL_KAFKA_IN_TOPIC": in_topic,
            "OTELCOL_KAFKA_OUT_TOPIC": out_topic,
            "OTELCOL_KAFKA_GROUP_ID": f"{workdir.name}-{uuid.uuid4().hex[:8]}",
        },
    )


def test_demo_traces_cross_kafka_between_two_collectors_whole(
    otelcol_binary: Path,
    jaeger_binary: Path,
    bootstrap: str,
    trace_sink: ops_harness.OtlpTraceSink,
    tmp_path: Path,
) -> None:
    """Collector A (edge) publishes to a topic that Collector B (central) reads and sends
    to Jaeger. A's own OTLP exporter goes to a sink, so Jaeger can only have the spans
    by way of Kafka; every span the demo finished arrives there once, with its tags."""
    import json
    import subprocess
    import sys

    import jaeger_harness

    run = uuid.uuid4().hex[:8]
    hop, edge_in, central_out = f"hop-{run}", f"edge-in-{run}", f"central-out-{run}"
    _create_topics(bootstrap, hop, edge_in, central_out)
    started: list[ops_harness.Server] = []
    try:
        jaeger = jaeger_harness.Jaeger(jaeger_binary, tmp_path / "jaeger")
        started.append(jaeger)
        backend = jaeger.otlp_grpc_endpoint
        central = _kafka_collector(
            otelcol_binary, tmp_path / "central", bootstrap, backend, hop, central_out
        )
        started.append(central)
        edge = _kafka_collector(
            otelcol_binary, tmp_path / "edge", bootstrap, trace_sink.endpoint, edge_in, hop
        )
        started.append(edge)
        outcomes = tmp_path / "outcomes.jsonl"
        demo = subprocess.run(
            [
                sys.executable,
                "-m",
                "otel_agents.cli",
                "demo",
                "--runs",
                "4",
                "--quiet",
                "--outcome-log",
                str(outcomes),
            ],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
                "OTEL_SERVICE_NAME": "kafka-hop-demo",
                "OTEL_EXPORTER_OTLP_ENDPOINT": edge.otlp_grpc_endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            },
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert demo.returncode == 0, demo.stderr
        expected = {
            event["span_id"]: event
            for event in (json.loads(line)["data"] for line in outcomes.read_text().splitlines())
        }
        assert len(expected) >= 30, "the demo finished fewer spans than four runs make"

        def in_jaeger() -> list[dict[str, Any]]:
            traces = jaeger.traces("kafka-hop-demo")
            return [span for trace in traces for span in trace["spans"]]

        deadline = time.monotonic() + 90
        spans = in_jaeger()
        while not set(expected) <= {span["spanID"] for span in spans}:
            assert time.monotonic() < deadline, (
                f"{len(spans)}/{len(expected)} spans in Jaeger\n--- edge:\n{edge.tail(15)}"
                f"\n--- central:\n{central.tail(15)}"
            )
            time.sleep(1)
            spans = in_jaeger()
        time.sleep(2)  # anything still in flight would be a duplicate
        spans = in_jaeger()
        ids = [span["spanID"] for span in spans]
        assert len(ids) == len(set(ids)), "a span arrived twice"
        # A received the same spans directly: the hop lost and added nothing.
        assert set(ids) == {span.span_id.hex() for _, _, span in trace_sink.spans()}
        for span in spans:
            outcome = expected.get(span["spanID"])
            if outcome is None:  # the evaluator's feedback, the only span not an action
                assert span["operationName"].startswith("feedback "), span["operationName"]
                continue
            tags = jaeger_harness.tags(span)
            assert span["traceID"] == outcome["trace_id"]
            assert jaeger_harness.parent_id(span) == outcome["parent_span_id"]
            assert tags["agent.outcome.status"] == outcome["status"]
            assert tags["gen_ai.operation.name"] == outcome["operation"]
    finally:
        for server in reversed(started):
            server.stop()
