"""Shared pytest fixtures."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# ==== Kafka fixtures (issue 3) ======================================================
# A real Apache Kafka broker: started from the official jars (Java 17 + Maven) or, when
# OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP is set, an existing broker (e.g. the compose file's).
# In CI (env CI set) a broker that cannot start is a failure, never a skip.
from tests.kafka_broker import BrokerUnavailable, KafkaBroker, create_topic, ensure_jars


def _broker_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Kafka broker unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"Kafka broker unavailable: {reason}")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bootstrap.servers of a running broker shared by the whole session."""
    existing = os.environ.get("OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP")
    if existing:
        yield existing
        return
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka-session"))
    try:
        broker.start()
    except (BrokerUnavailable, OSError) as exc:
        broker.stop()
        _broker_unavailable(str(exc))
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def kafka_topic(kafka_bootstrap: str) -> str:
    """A fresh 3-partition topic on the session broker."""
    return create_topic(kafka_bootstrap, f"outcomes-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of the test's own, *not yet started*, that the test may kill and restart."""
    try:
        ensure_jars()
    except (BrokerUnavailable, OSError) as exc:
        _broker_unavailable(str(exc))
    broker = KafkaBroker(tmp_path / "kafka")
    try:
        yield broker
    finally:
        broker.stop()
# ==== end of Kafka fixtures ==========================================================
