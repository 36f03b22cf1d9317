"""Nothing is lost: broker late, broker killed, app stopped while the broker is down, full queue.

Each test runs the agent application (tests/kafka/app.py) in a subprocess against a broker
of its own, then counts distinct event_ids with a real consumer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from otel_agents.events.outcome import OutcomeEvent
from tests.kafka.broker import KafkaBroker, read_topic

pytestmark = pytest.mark.integration

_ROOT = Path(__file__).resolve().parents[2]
# Agent code must never wait on Kafka. A wait would cost >= 1 s (metadata) or the message
# timeout; the bound leaves room for scheduler noise on a loaded 2-core machine (JVM, app,
# consumer and other jobs), so it detects blocking, not speed (speed is benchmarked).
_MAX_CALL_P99_MS = 100.0
# A call blocked on Kafka would take >= 1 s (metadata timeout) or 30 s (message timeout).
_MAX_CALL_MS = 250.0


def _app(broker: KafkaBroker, spool: Path, topic: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kafka.app",
            "--bootstrap",
            broker.bootstrap,
            "--topic",
            topic,
            "--spool-dir",
            str(spool),
            *args,
        ],
        cwd=_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
    )


def _result(proc: subprocess.Popen[str], timeout: float = 180) -> dict[str, Any]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"app did not finish; stderr:\n{err[-3000:]}")
    assert proc.returncode == 0, err[-3000:]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _distinct_ids(broker: KafkaBroker, topic: str, expect: int) -> set[str]:
    messages = read_topic(broker.bootstrap, topic, expect=expect, timeout=90)
    return {OutcomeEvent.from_json_bytes(m.value()).event_id for m in messages}  # type: ignore[attr-defined]


def _assert_agents_unharmed(result: dict[str, Any]) -> None:
    assert result["errors"] == []
    assert result["call_p99_ms"] < _MAX_CALL_P99_MS, result
    assert result["call_max_ms"] < _MAX_CALL_MS, result
    assert result["stats"]["dropped"] == 0


def test_broker_started_after_the_app(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    proc = _app(
        kafka_broker,
        tmp_path / "spool",
        "late",
        "--calls",
        "2000",
        "--pause",
        "0.002",
        "--drain",
        "60",
    )
    time.sleep(2.0)
    kafka_broker.start()
    result = _result(proc)
    _assert_agents_unharmed(result)
    assert len(_distinct_ids(kafka_broker, "late", 4000)) == 4000


def test_outage_longer_than_message_timeout_is_replayed_from_the_spool(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    # Events time out in librdkafka (1.5 s) long before the broker comes (~5 s): they
    # must travel through the spool and come back by the automatic replay.
    short_timeout = json.dumps({"message.timeout.ms": 1500})
    proc = _app(
        kafka_broker,
        tmp_path / "spool",
        "outage",
        "--calls",
        "1000",
        "--pause",
        "0.002",
        "--producer-config",
        short_timeout,
        "--drain",
        "60",
    )
    time.sleep(4.0)
    kafka_broker.start()
    result = _result(proc)
    _assert_agents_unharmed(result)
    assert result["stats"]["spooled"] > 0, result["stats"]
    assert result["stats"]["replayed"] >= result["stats"]["spooled"], result["stats"]
    assert result["spool_segments"] == 0
    assert len(_distinct_ids(kafka_broker, "outage", 2000)) == 2000


def test_broker_killed_mid_run_then_restarted(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    kafka_broker.start()
    kafka_broker.create_topic("killed")
    proc = _app(
        kafka_broker,
        tmp_path / "spool",
        "killed",
        "--calls",
        "3000",
        "--pause",
        "0.004",
        "--drain",
        "60",
    )
    time.sleep(2.0)
    kafka_broker.kill()
    time.sleep(2.0)
    kafka_broker.restart()
    result = _result(proc)
    _assert_agents_unharmed(result)
    assert len(_distinct_ids(kafka_broker, "killed", 6000)) == 6000


def test_app_stopped_while_broker_down_then_replayed_by_a_new_process(
    kafka_broker: KafkaBroker, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    result = _result(
        _app(kafka_broker, spool, "replayed", "--calls", "1000", "--shutdown-timeout-ms", "1000")
    )
    _assert_agents_unharmed(result)
    assert result["shutdown_seconds"] < 4.0  # bounded: never Producer.close()'s 30 s+
    assert result["stats"]["spooled"] == 2000
    assert result["spool_segments"] >= 1

    kafka_broker.start()
    replay = subprocess.run(
        [
            str(Path(sys.executable).parent / "otel-agents"),
            "replay",
            "--bootstrap-servers",
            kafka_broker.bootstrap,
            "--spool-dir",
            str(spool),
            "--timeout",
            "60",
        ],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "replayed 2000 event(s); 0 segment(s) left" in replay.stdout
    assert len(_distinct_ids(kafka_broker, "replayed", 2000)) == 2000


def test_full_local_queue_spools_and_replays(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    kafka_broker.start()
    kafka_broker.create_topic("burst")
    tiny_queue = json.dumps({"queue.buffering.max.messages": 50, "linger.ms": 20})
    result = _result(
        _app(
            kafka_broker,
            tmp_path / "spool",
            "burst",
            "--calls",
            "3000",
            "--threads",
            "1",
            "--producer-config",
            tiny_queue,
            "--drain",
            "60",
        )
    )
    _assert_agents_unharmed(result)
    assert result["stats"]["spooled"] > 0, "the queue never filled: test proves nothing"
    assert result["stats"]["replayed"] >= result["stats"]["spooled"]
    assert result["spool_segments"] == 0
    assert len(_distinct_ids(kafka_broker, "burst", 6000)) == 6000
