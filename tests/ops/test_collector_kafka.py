"""The Collector's optional Kafka overlay against a real broker: spans in through the
kafka receiver reach the trace backend and are republished by the kafka exporter."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

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
