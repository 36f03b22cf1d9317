"""SASL_SSL for real: TLS with the harness's own CA, SCRAM-SHA-512 logins, OAUTHBEARER tokens.

The exporter, the feedback route and the monitor get their settings from the environment
only. A wrong password and an untrusted certificate each give one clear message naming
the cause and the variable; events spool; fixing the setting and replaying delivers all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_agents.events.outcome import OutcomeEvent
from tests.kafka.broker import BrokerUnavailable, create_topic, ensure_jars, read_topic
from tests.kafka.secure import SecureKafkaBroker, make_certificates

pytestmark = pytest.mark.integration

_ROOT = Path(__file__).resolve().parent.parent
_PASSWORD = "right-password"
_CALLS = 200

_APP = """
import json, time
import otel_agents as oa

oa.configure(service_name="secure-app")

@oa.agent(name="secure-bot")
def bot(i):
    return oa.current_event_id()

ids = [bot(i) for i in range({calls})]
oa.feedback(ids[0], "positive", user="u-1")
time.sleep({wait})
oa.force_flush(10_000)
oa.shutdown()
print(json.dumps({{"ids": ids}}))
"""


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafkaBroker]:
    try:
        ensure_jars()
        broker = SecureKafkaBroker(
            tmp_path_factory.mktemp("kafka-secure"), users={"agent": _PASSWORD}
        )
        broker.start()
    except (BrokerUnavailable, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"secure Kafka broker unavailable in CI: {exc}", pytrace=False)
        pytest.skip(f"secure Kafka broker unavailable: {exc}")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def topics(broker: SecureKafkaBroker) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return (
        create_topic(broker.plain_bootstrap, f"secure-outcomes-{suffix}"),
        create_topic(broker.plain_bootstrap, f"secure-feedback-{suffix}"),
    )


def _env(
    broker: SecureKafkaBroker, topics: tuple[str, str], spool: Path, **overrides: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        {
            "PYTHONPATH": str(_ROOT),
            "OTEL_AGENTS_OUTCOME_LOG": str(spool.parent / "outcomes.jsonl"),
            "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "OTEL_AGENTS_KAFKA_TOPIC": topics[0],
            "OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC": topics[1],
            "OTEL_AGENTS_KAFKA_SPOOL_DIR": str(spool),
            "OTEL_AGENTS_KAFKA_SHUTDOWN_TIMEOUT_MS": "2000",
            "OTEL_AGENTS_KAFKA_PRODUCER_SECURITY_PROTOCOL": "SASL_SSL",
            "OTEL_AGENTS_KAFKA_PRODUCER_SASL_MECHANISM": "SCRAM-SHA-512",
            "OTEL_AGENTS_KAFKA_PRODUCER_SASL_USERNAME": "agent",
            "OTEL_AGENTS_KAFKA_PRODUCER_SASL_PASSWORD": _PASSWORD,
            "OTEL_AGENTS_KAFKA_PRODUCER_SSL_CA_LOCATION": str(broker.ca_pem),
        }
    )
    env.update(overrides)
    return env


def _run_app(env: dict[str, str], wait: float) -> tuple[list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _APP.format(calls=_CALLS, wait=wait)],
        cwd=_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ids: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])["ids"]
    return ids, proc.stderr


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_agents.cli", *args],
        cwd=_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _delivered(broker: SecureKafkaBroker, topic: str, expect: int) -> list[Any]:
    return read_topic(broker.plain_bootstrap, topic, expect=expect, timeout=60)


def _outcome_ids(messages: list[Any]) -> set[str]:
    return {OutcomeEvent.from_json_bytes(m.value()).event_id for m in messages}


def test_env_only_settings_deliver_outcomes_and_feedback_and_the_monitor_reads_them(
    broker: SecureKafkaBroker, topics: tuple[str, str], tmp_path: Path
) -> None:
    env = _env(broker, topics, tmp_path / "spool")
    ids, stderr = _run_app(env, wait=0)
    assert "Traceback" not in stderr, stderr
    assert _outcome_ids(_delivered(broker, topics[0], _CALLS)) == set(ids)
    (feedback,) = _delivered(broker, topics[1], 1)
    assert json.loads(feedback.value())["data"]["event_id"] == ids[0]

    monitor = _cli(env, "monitor", "--status", "--json")
    assert monitor.returncode == 0, monitor.stderr[-2000:]
    assert json.loads(monitor.stdout)["finished"] == _CALLS


@pytest.mark.parametrize("fault", ["wrong password", "untrusted certificate"])
def test_bad_credential_says_so_once_spools_and_replays_after_the_fix(
    broker: SecureKafkaBroker, topics: tuple[str, str], tmp_path: Path, fault: str
) -> None:
    spool = tmp_path / "spool"
    good = _env(broker, topics, spool)
    if fault == "wrong password":
        bad = _env(broker, topics, spool, OTEL_AGENTS_KAFKA_PRODUCER_SASL_PASSWORD="wrong")
        cause, variable = "refused our credentials", "OTEL_AGENTS_KAFKA_PRODUCER_SASL_PASSWORD"
        librdkafka_says = "invalid credentials"
    else:
        other_ca, _ = make_certificates(tmp_path / "other-ca")
        bad = _env(broker, topics, spool, OTEL_AGENTS_KAFKA_PRODUCER_SSL_CA_LOCATION=str(other_ca))
        cause, variable = "TLS with Kafka", "OTEL_AGENTS_KAFKA_PRODUCER_SSL_CA_LOCATION"
        librdkafka_says = "certificate verify failed"

    ids, stderr = _run_app(bad, wait=4)

    lines = [line for line in stderr.splitlines() if cause in line]
    assert len(lines) == 1, stderr[-3000:]
    assert variable in lines[0]
    # librdkafka retried many times; the log still says it once, as what it is.
    assert stderr.count(librdkafka_says) == 1, stderr[-3000:]
    assert "unreachable" not in stderr
    assert "Traceback" not in stderr, stderr
    assert _outcome_ids(_delivered(broker, topics[0], 0)) == set()

    monitor = _cli(bad, "monitor", "--status", "--json")
    said = monitor.stdout + monitor.stderr
    assert cause in said and variable in said, said

    replay = _cli(good, "replay", "--timeout", "60")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"replayed {_CALLS + 1} event(s); 0 segment(s) left" in replay.stdout
    assert _outcome_ids(_delivered(broker, topics[0], _CALLS)) == set(ids)
    assert len(_delivered(broker, topics[1], 1)) == 1


def test_oauthbearer_token_callback_from_the_environment(
    broker: SecureKafkaBroker, topics: tuple[str, str], tmp_path: Path
) -> None:
    env = _env(
        broker,
        topics,
        tmp_path / "spool",
        OTEL_AGENTS_KAFKA_PRODUCER_SASL_MECHANISM="OAUTHBEARER",
        OTEL_AGENTS_KAFKA_OAUTH_CB="tests.kafka.secure:oauth_token",
    )
    env.pop("OTEL_AGENTS_KAFKA_PRODUCER_SASL_USERNAME")
    env.pop("OTEL_AGENTS_KAFKA_PRODUCER_SASL_PASSWORD")
    ids, stderr = _run_app(env, wait=0)
    assert _outcome_ids(_delivered(broker, topics[0], _CALLS)) == set(ids), stderr[-3000:]
    assert len(_delivered(broker, topics[1], 1)) == 1
    monitor = _cli(env, "monitor", "--status", "--json")
    assert json.loads(monitor.stdout)["finished"] == _CALLS, monitor.stderr[-2000:]


def test_unloadable_token_callback_fails_at_configuration_naming_the_variable(
    broker: SecureKafkaBroker, topics: tuple[str, str], tmp_path: Path
) -> None:
    env = _env(
        broker, topics, tmp_path / "spool", OTEL_AGENTS_KAFKA_OAUTH_CB="tests.kafka.secure:nope"
    )
    proc = subprocess.run(
        [sys.executable, "-c", "import otel_agents as oa; oa.configure()"],
        cwd=_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "ConfigurationError" in proc.stderr and "OTEL_AGENTS_KAFKA_OAUTH_CB" in proc.stderr
