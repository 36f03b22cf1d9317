"""Fixtures of a real Apache Kafka broker."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kafka.broker import (
    BrokerUnavailable,
    KafkaBroker,
    create_topic,
    ensure_jars,
)


def _broker_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Kafka broker unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"Kafka broker unavailable: {reason}")


def pytest_collection_finish(session: pytest.Session) -> None:
    # Fetch the broker's jars (first run only) before any test starts, so a slow download
    # does not count against the first Kafka test's timeout. Errors surface in the fixtures.
    wanted = {"kafka_broker"}
    if not os.environ.get("OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP"):
        wanted.add("kafka_bootstrap")
    uses_kafka = any(wanted & set(getattr(item, "fixturenames", ())) for item in session.items)
    if uses_kafka:
        with contextlib.suppress(BrokerUnavailable, OSError, subprocess.SubprocessError):
            ensure_jars()


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
