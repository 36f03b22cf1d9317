"""An outage is reported once, as an outage, after it has lasted a moment.

librdkafka may report "all brokers are down" before the refused login or untrusted
certificate behind it (``test_kafka_secure.py`` checks that those are reported as what
they are, and never as "unreachable"); a plain outage must still be said, once.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


def test_a_broker_that_is_down_is_reported_once_as_unreachable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_SPOOL_DIR", str(tmp_path / "spool"))
    with caplog.at_level(logging.WARNING, logger="otel_agents"):
        telemetry = oa.configure(
            tracer_provider=TracerProvider(),
            outcome_log=None,
            kafka_bootstrap_servers=f"127.0.0.1:{_closed_port()}",
        )

        @oa.agent(name="waiting")
        def waiting(i: int) -> int:
            return i

        try:
            deadline = time.monotonic() + 20
            said: list[str] = []
            while time.monotonic() < deadline and not said:
                waiting(1)
                oa.force_flush(200)
                said = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
                time.sleep(0.2)
            time.sleep(2)  # more polls, more "brokers down" reports: still said once
            said = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
            assert len(said) == 1, said
        finally:
            oa.shutdown()
    assert telemetry.stats()["dropped"] == 0
