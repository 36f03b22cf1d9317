"""KafkaOutcomeExporter against a real Apache Kafka broker."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

from otel_agents.errors import ConfigurationError
from otel_agents.events.outcome import SCHEMA_VERSION, OutcomeEvent, load_schema
from otel_agents.export.kafka.exporter import KafkaOutcomeExporter
from tests.kafka.broker import create_topic, read_topic, sarama_partition
from tests.kafka.entry_point import entry_point_env

pytestmark = pytest.mark.integration


def _agent_calls(provider: TracerProvider, n: int) -> None:
    tracer = provider.get_tracer("test")
    for i in range(n):
        with tracer.start_as_current_span(
            "invoke_agent planner",
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "planner",
                "i": i,
            },
        ):
            with tracer.start_as_current_span(
                "execute_tool search",
                attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
            ):
                pass
            with tracer.start_as_current_span("not an outcome"):
                pass


def _pipeline(
    bootstrap: str, topic: str, spool_dir: Path, processor: type[Any]
) -> tuple[KafkaOutcomeExporter, TracerProvider]:
    """An exporter to ``topic`` behind ``processor`` (the SDK's batch or simple one)."""
    exporter = KafkaOutcomeExporter(bootstrap_servers=bootstrap, topic=topic, spool_dir=spool_dir)
    provider = TracerProvider()
    provider.add_span_processor(processor(exporter))
    return exporter, provider


def _event_ids(messages: list[Any]) -> set[str]:
    return {OutcomeEvent.from_json_bytes(m.value()).event_id for m in messages}


def test_every_outcome_span_arrives_as_a_valid_event(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    from jsonschema import Draft202012Validator

    exporter, provider = _pipeline(kafka_bootstrap, kafka_topic, tmp_path, BatchSpanProcessor)
    _agent_calls(provider, 100)
    provider.shutdown()

    messages = read_topic(kafka_bootstrap, kafka_topic, expect=200)
    assert len(messages) == 200
    assert len(_event_ids(messages)) == 200
    validator = Draft202012Validator(load_schema())
    for m in messages:
        validator.validate(orjson.loads(m.value()))
        event = OutcomeEvent.from_json_bytes(m.value())
        headers = dict(m.headers())
        assert m.key() == event.trace_id.encode()
        assert headers["traceparent"] == event.traceparent.encode()
        assert headers["traceparent"].split(b"-")[1] == m.key()
        assert headers["content-type"].startswith(b"application/cloudevents+json")
        assert headers["schemaversion"] == SCHEMA_VERSION.encode()
        assert m.partition() == sarama_partition(m.key(), 3)
    stats = exporter.stats()
    assert (stats.sent, stats.failed, stats.spooled, stats.dropped) == (200, 0, 0, 0)
    assert stats.delivery_latency_p99_ms is not None


def test_a_trace_stays_on_one_partition(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    _, provider = _pipeline(kafka_bootstrap, kafka_topic, tmp_path, SimpleSpanProcessor)
    _agent_calls(provider, 30)
    provider.shutdown()
    by_trace: dict[bytes, set[int]] = {}
    for m in read_topic(kafka_bootstrap, kafka_topic, expect=60):
        by_trace.setdefault(m.key(), set()).add(m.partition())
    assert len(by_trace) == 30
    assert all(len(parts) == 1 for parts in by_trace.values())
    assert len({p for parts in by_trace.values() for p in parts}) > 1  # keys do spread


def test_oversized_event_is_truncated_to_fit(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    exporter = KafkaOutcomeExporter(
        bootstrap_servers=kafka_bootstrap,
        topic=kafka_topic,
        spool_dir=tmp_path,
        producer_config={"message.max.bytes": 64_000},
    )
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        "invoke_agent big",
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "big",
            "agent.metadata.blob": "x" * 500_000,
        },
    ):
        pass
    provider.shutdown()
    (message,) = read_topic(kafka_bootstrap, kafka_topic, expect=1)
    assert len(message.value()) <= 64_000
    assert exporter.stats().dropped == 0


def test_event_too_large_for_the_topic_is_cut_further_and_delivered(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(
        kafka_bootstrap, f"small-{uuid.uuid4().hex[:8]}", 1, {"max.message.bytes": "20000"}
    )
    exporter = KafkaOutcomeExporter(
        bootstrap_servers=kafka_bootstrap, topic=topic, spool_dir=tmp_path
    )
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        "invoke_agent big",
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "big",
            # Incompressible: the broker checks the size of the *compressed* batch.
            **{f"agent.metadata.k{i}": os.urandom(3500).hex() for i in range(12)},
        },
    ):
        pass
    provider.shutdown()
    (message,) = read_topic(kafka_bootstrap, topic, expect=1)
    assert len(message.value()) < 30000  # cut to a quarter of the ~85 kB refused
    stats = exporter.stats()
    assert (stats.sent, stats.rejected, stats.dropped) == (1, 0, 0)


def test_no_broker_shutdown_is_bounded_and_everything_is_spooled(tmp_path: Path) -> None:
    from tests.kafka.broker import free_port

    exporter = KafkaOutcomeExporter(
        bootstrap_servers=f"127.0.0.1:{free_port()}",
        topic="t",
        spool_dir=tmp_path,
        shutdown_timeout_millis=500,
    )
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _agent_calls(provider, 50)
    start = time.monotonic()
    provider.shutdown()
    assert time.monotonic() - start < 5
    stats = exporter.stats()
    assert stats.spooled == 100
    assert stats.dropped == 0
    records = [r for seg in exporter.spool.claim_segments() for r in seg.records()]
    assert len(records) == 100
    assert all(dict(r.headers)["traceparent"].startswith(b"00-") for r in records)


@pytest.mark.parametrize(
    ("kwargs", "env", "names"),
    [
        ({"bootstrap_servers": "nohostport"}, {}, "bootstrap_servers"),
        (
            {},
            {"OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": "a:notaport"},
            "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS",
        ),
        ({"topic": "bad topic!"}, {}, "topic"),
        ({}, {"OTEL_AGENTS_KAFKA_TOPIC": "a/b"}, "OTEL_AGENTS_KAFKA_TOPIC"),
        ({}, {"OTEL_AGENTS_KAFKA_SPOOL_MAX_BYTES": "lots"}, "OTEL_AGENTS_KAFKA_SPOOL_MAX_BYTES"),
        ({}, {"OTEL_AGENTS_KAFKA_SPOOL_FSYNC": "sometimes"}, "OTEL_AGENTS_KAFKA_SPOOL_FSYNC"),
        (
            {},
            {"OTEL_AGENTS_KAFKA_PRODUCER_CONFIG": "{not json"},
            "OTEL_AGENTS_KAFKA_PRODUCER_CONFIG",
        ),
        ({"producer_config": {"no.such.property": "1"}}, {}, "producer_config"),
        ({}, {"OTEL_AGENTS_KAFKA_PRODUCER_COMPRESSION_TYPE": "rar"}, "OTEL_AGENTS_KAFKA_PRODUCER"),
        # The outcome processor the exporter may add reads configure()'s settings.
        ({}, {"OTEL_AGENTS_MAX_QUEUE_SIZE": "0"}, "OTEL_AGENTS_MAX_QUEUE_SIZE"),
        ({}, {"OTEL_AGENTS_MAX_VALUE_LENGTH": "short"}, "OTEL_AGENTS_MAX_VALUE_LENGTH"),
    ],
)
def test_invalid_configuration_names_the_setting(
    kwargs: dict[str, Any],
    env: dict[str, str],
    names: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    kwargs.setdefault("spool_dir", tmp_path)
    with pytest.raises(ConfigurationError, match=names):
        KafkaOutcomeExporter(**kwargs)


def test_no_argument_construction_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_TOPIC", "from-env")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_PRODUCER_CONFIG", "linger.ms=5,acks=all")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_PRODUCER_CLIENT_ID", "my-app")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_PRODUCER_ENABLE_IDEMPOTENCE", "TRUE")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_PRODUCER_DELIVERY_REPORT_ONLY_ERROR", "false")
    exporter = KafkaOutcomeExporter()
    assert exporter.topic == "from-env"
    assert exporter.settings.bootstrap_servers == "127.0.0.1:19092"
    assert exporter.settings.producer_config["linger.ms"] == "5"
    assert exporter.settings.producer_config["client.id"] == "my-app"
    assert exporter.settings.producer_config["enable.idempotence"] is True
    assert exporter.spool.directory == tmp_path / "spool"
    exporter.shutdown()


def test_selectable_by_entry_point() -> None:
    from importlib.metadata import entry_points

    (ep,) = entry_points(group="opentelemetry_traces_exporter", name="kafka_outcomes")
    assert ep.load() is KafkaOutcomeExporter


def test_forked_workers_get_their_own_producer(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    import multiprocessing

    exporter, provider = _pipeline(kafka_bootstrap, kafka_topic, tmp_path, SimpleSpanProcessor)
    _agent_calls(provider, 10)  # the parent's producer is live before the fork
    parent_producer = exporter._core.producer

    def worker() -> None:
        assert exporter._core.producer is not parent_producer
        _agent_calls(provider, 25)
        provider.shutdown()

    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=worker) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [c.exitcode for c in children] == [0, 0, 0]
    _agent_calls(provider, 10)
    provider.shutdown()
    messages = read_topic(kafka_bootstrap, kafka_topic, expect=2 * (10 + 75 + 10))
    assert len(_event_ids(messages)) == 2 * (10 + 75 + 10)


def test_self_metrics_count_sent_events(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    exporter = KafkaOutcomeExporter(
        bootstrap_servers=kafka_bootstrap,
        topic=kafka_topic,
        spool_dir=tmp_path,
        meter_provider=MeterProvider(metric_readers=[reader]),
    )
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _agent_calls(provider, 5)
    provider.shutdown()
    points: dict[str, Any] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    result = point.attributes.get("otel_agents.kafka.result")
                    points[f"{metric.name}:{result}"] = point
    assert points["otel_agents.kafka.events:sent"].value == 10
    assert points["otel_agents.kafka.events:dropped"].value == 0
    assert points["otel_agents.kafka.delivery.duration:None"].count == 10


def _run_entry_point_app(env: dict[str, str], calls: int, attributes: str = "") -> None:
    """What opentelemetry-instrument does (through the distro's configurator): build the
    exporters named in OTEL_TRACES_EXPORTER with no arguments, behind a BatchSpanProcessor;
    then ``calls`` agent spans, with ``attributes`` (Python dict items) added to each."""
    import subprocess
    import sys

    app = (
        "from opentelemetry.sdk._configuration import _OTelSDKConfigurator\n"
        "from opentelemetry import trace\n"
        "_OTelSDKConfigurator().configure()\n"
        "tracer = trace.get_tracer('app')\n"
        f"for i in range({calls}):\n"
        "    with tracer.start_as_current_span('invoke_agent a', attributes={\n"
        "            'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'a',\n"
        f"            {attributes}}}):\n"
        "        pass\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", app], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_otel_traces_exporter_env_selects_it(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    _run_entry_point_app(entry_point_env(kafka_bootstrap, kafka_topic, tmp_path), 20)
    assert len(_event_ids(read_topic(kafka_bootstrap, kafka_topic, expect=20))) == 20


def test_the_entry_points_outcome_processor_takes_the_outcome_settings(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    env = entry_point_env(
        kafka_bootstrap, kafka_topic, tmp_path, OTEL_AGENTS_MAX_VALUE_LENGTH="200"
    )
    _run_entry_point_app(env, 5, attributes="'agent.metadata.note': 'n' * 5000")
    messages = read_topic(kafka_bootstrap, kafka_topic, expect=5)
    notes = [OutcomeEvent.from_json_bytes(m.value()).metadata["note"] for m in messages]
    assert len(notes) == 5
    assert all(note.startswith("n" * 100) and len(note) <= 200 for note in notes), notes[0]


def test_configure_under_the_entry_point_feeds_the_sdks_exporter_each_event_once(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    # Auto-instrumentation's order: the SDK builds the kafka_outcomes exporter (which
    # routes outcomes itself), then configure() adopts it and the exporter's own route
    # retires. Calls before, during and after: each event once, none lost.
    app = (
        "import sys\n"
        "from opentelemetry.sdk._configuration import _OTelSDKConfigurator\n"
        "import otel_agents as oa\n"
        "_OTelSDKConfigurator().configure()\n"
        "@oa.agent(name='a')\n"
        "def a(i):\n"
        "    oa.record(metadata={'call': i})\n"
        "for i in range(100):\n"
        "    a(i)\n"
        "telemetry = oa.configure(outcome_log=sys.argv[1])\n"
        "exporter = telemetry.kafka_exporter\n"
        "print('adopted', exporter is not None and exporter.fed_by_processor,\n"
        "      exporter._routing is False)\n"
        "for i in range(100, 200):\n"
        "    a(i)\n"
        "oa.shutdown()\n"
    )
    env = entry_point_env(kafka_bootstrap, kafka_topic, tmp_path / "spool")
    proc = subprocess.run(
        [sys.executable, "-c", app, str(tmp_path / "o.jsonl")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["adopted", "True", "True"]
    events = [
        OutcomeEvent.from_json_bytes(m.value())  # type: ignore[attr-defined]
        for m in read_topic(kafka_bootstrap, kafka_topic, expect=200)
    ]
    assert sorted(e.event_id for e in events) == sorted({e.event_id for e in events})
    assert sorted(int(e.metadata["call"]) for e in events) == list(range(200))


def test_settings_parse_sizes_json_and_keep_defaults(tmp_path: Path) -> None:
    from otel_agents.export.kafka.settings import resolve_settings

    settings = resolve_settings(
        bootstrap_servers=None,
        topic=None,
        producer_config={"linger.ms": 5},
        spool_dir=None,
        spool_max_bytes=None,
        spool_fsync=None,
        shutdown_timeout_millis=None,
        environ={
            "XDG_STATE_HOME": str(tmp_path),
            "OTEL_AGENTS_KAFKA_SPOOL_MAX_BYTES": "64MiB",
            "OTEL_AGENTS_KAFKA_PRODUCER_CONFIG": '{"security.protocol": "SASL_SSL", "acks": 1}',
        },
    )
    assert settings.bootstrap_servers == "localhost:9092"
    assert settings.spool_max_bytes == 64 * 1024 * 1024
    assert settings.spool_fsync == "interval"
    assert settings.producer_config["security.protocol"] == "SASL_SSL"
    assert settings.producer_config["linger.ms"] == 5
    assert settings.producer_config["acks"] == 1
    assert settings.producer_config["partitioner"] == "fnv1a_random"
    assert settings.spool_dir == tmp_path / "otel-agents" / "spool" / "localhost_9092"


@pytest.mark.parametrize("with_log", [False, True])
def test_configure_frees_each_events_json_unless_another_sink_reuses_it(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path, with_log: bool
) -> None:
    import otel_agents as oa

    telemetry = oa.configure(
        tracer_provider=TracerProvider(),
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic=kafka_topic,
        spool_dir=tmp_path / "spool",
        outcome_log=tmp_path / "o.jsonl" if with_log else None,
    )
    try:

        @oa.agent(name="planner")
        def plan(i: int) -> int:
            return i

        for i in range(5):
            plan(i)
        assert telemetry.force_flush(30_000)
        messages = read_topic(kafka_bootstrap, kafka_topic, expect=5)
        assert len(messages) == 5
        for event in oa.recent_events(count=5):
            # Kept on the event only when the log serialises it too (and then once).
            kept = event.to_json_bytes(keep=False) is event.to_json_bytes(keep=False)
            assert kept is with_log
        if with_log:
            logged = sorted((tmp_path / "o.jsonl").read_bytes().splitlines())
            assert logged == sorted(m.value() for m in messages)
    finally:
        oa.shutdown()


def _context_switches(thread_name: str) -> int:
    import threading

    (thread,) = [t for t in threading.enumerate() if t.name == thread_name]
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    return sum(int(line.split()[1]) for line in status.splitlines() if "ctxt_switches" in line)


def test_the_background_thread_sleeps_while_nothing_is_in_flight(
    kafka_bootstrap: str, kafka_topic: str, tmp_path: Path
) -> None:
    exporter, provider = _pipeline(kafka_bootstrap, kafka_topic, tmp_path, SimpleSpanProcessor)
    try:
        for round_ in (1, 2):
            _agent_calls(provider, 5)  # 10 outcomes a round
            # No flush: the background thread serves the acknowledgements.
            deadline = time.monotonic() + 10
            while exporter.stats().sent < 10 * round_ and time.monotonic() < deadline:
                time.sleep(0.01)
            assert exporter.stats().sent == 10 * round_
            time.sleep(0.3)  # the last reports served: nothing in flight
            before = _context_switches("otel-agents-kafka")
            time.sleep(2.0)  # 20 wake-ups at the busy interval
            assert _context_switches("otel-agents-kafka") - before <= 4
    finally:
        provider.shutdown()
    assert len(_event_ids(read_topic(kafka_bootstrap, kafka_topic, expect=20))) == 20
