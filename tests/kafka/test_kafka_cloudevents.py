"""Records on the wire round-trip through the CloudEvents Python SDK (Kafka binding).

The legacy SDK turns every Kafka header into a CloudEvents attribute; the current SDK
refuses attribute names other than lowercase letters and digits. So every header we
write must be a valid attribute name, or a consumer's round trip fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_structured

import otel_agents as oa
from otel_agents.events.outcome import SCHEMA_VERSION, schema_version_from_headers
from otel_agents.export import feedback_routes as _feedback_transport
from tests.kafka.broker import create_topic, read_topic

pytestmark = pytest.mark.integration


@pytest.fixture
def configured(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    outcomes = create_topic(kafka_bootstrap, f"ce-outcomes-{uuid.uuid4().hex[:8]}")
    feedback = create_topic(kafka_bootstrap, f"ce-feedback-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC", feedback)
    _feedback_transport.close_routes()
    oa.configure(
        service_name="cloudevents-test",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic=outcomes,
        spool_dir=tmp_path / "spool",
    )
    try:
        yield outcomes, feedback
    finally:
        oa.shutdown()
        _feedback_transport.close_routes(timeout_s=0.5)


def _round_trip(message: Any) -> CloudEvent:
    """Consumer side: legacy SDK reads the record, the current SDK re-encodes and reads it."""
    headers = {name: value for name, value in message.headers()}
    legacy = from_structured(KafkaMessage(headers, None, message.value()))
    attributes = {k: v for k, v in legacy.get_attributes().items() if v is not None}
    attributes["time"] = datetime.fromisoformat(attributes["time"].replace("Z", "+00:00"))
    event = CloudEvent(attributes=attributes, data=legacy.get_data())
    binary = ce_kafka.to_binary(event, JSONFormat())
    back = ce_kafka.from_binary(binary, JSONFormat())
    assert isinstance(back, CloudEvent)
    return back


def test_outcome_and_feedback_records_round_trip_through_the_cloudevents_sdk(
    kafka_bootstrap: str, configured: tuple[str, str]
) -> None:
    outcomes, feedback = configured

    @oa.agent(name="ce-bot")
    def bot() -> str | None:
        return oa.current_event_id()

    event_id = bot()
    assert event_id is not None
    assert oa.feedback(event_id, "positive", user="u-1") is not None
    assert oa.force_flush(10_000)
    _feedback_transport.close_routes(timeout_s=10)

    for topic in (outcomes, feedback):
        (message,) = read_topic(kafka_bootstrap, topic, expect=1, timeout=30)
        assert schema_version_from_headers(message.headers()) == SCHEMA_VERSION  # type: ignore[attr-defined]
        event = _round_trip(message)
        assert event.get_extension("schemaversion") == SCHEMA_VERSION


def test_consumers_read_the_schema_version_under_either_header_name() -> None:
    assert schema_version_from_headers([("schemaversion", b"1.0")]) == "1.0"
    assert schema_version_from_headers([("schema-version", b"1.0")]) == "1.0"
    assert (
        schema_version_from_headers([("schema-version", b"0.9"), ("schemaversion", b"1.0")])
        == "1.0"
    )
    assert schema_version_from_headers(None) is None
