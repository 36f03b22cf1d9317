"""configure(): embedded default, idempotence, env, existing providers, shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_agents as oa


def _run(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_default_writes_the_outcome_log_in_the_working_directory(tmp_path):
    result = _run(
        """
        import otel_agents as oa
        oa.configure(service_name="support-bot")

        @oa.agent
        def planner(task):
            oa.record(input_tokens=3)
            return task
        planner("x")
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / ".otel-agents" / "outcomes.jsonl").read_text().splitlines()
    event = json.loads(lines[0])
    assert event["data"]["name"] == "planner"
    assert event["data"]["resource"]["service_name"] == "support-bot"
    assert event["source"] == "/otel-agents/support-bot"


def test_service_name_and_resource_attributes_come_from_the_environment(tmp_path):
    result = _run(
        """
        import otel_agents as oa
        oa.configure()

        @oa.agent
        def a():
            return 1
        a()
        resource = oa.recent_events()[-1].resource
        print(resource["service_name"], resource["environment"])
        """,
        tmp_path,
        OTEL_SERVICE_NAME="from-env",
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=staging",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["from-env", "staging"]


def test_events_are_flushed_at_interpreter_exit(tmp_path):
    result = _run(
        """
        import otel_agents as oa
        oa.configure(outcome_log="out.jsonl")

        @oa.tool
        def t(i):
            return i
        for i in range(500):
            t(i)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 500


def test_configure_is_idempotent(traced):
    assert oa.configure() is traced.telemetry
    assert oa.get_telemetry() is traced.telemetry


def test_configure_adds_to_an_existing_provider_without_replacing_it(tmp_path):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry = oa.configure(tracer_provider=provider, outcome_log=tmp_path / "o.jsonl")
    try:
        assert telemetry.tracer_provider is provider

        @oa.agent
        def a():
            return 1

        a()
        assert [s.name for s in exporter.get_finished_spans()] == ["invoke_agent a"]
        assert [e.name for e in oa.recent_events()] == ["a"]
    finally:
        oa.shutdown()
    a()  # after shutdown our processor is detached from the app's provider
    assert len(exporter.get_finished_spans()) == 1
    assert oa.recent_events() == []


def test_configure_uses_a_global_sdk_provider_set_by_the_app(tmp_path):
    result = _run(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        app_provider = TracerProvider()
        trace.set_tracer_provider(app_provider)
        import otel_agents as oa
        telemetry = oa.configure(outcome_log="o.jsonl")
        print(telemetry.tracer_provider is app_provider)
        """,
        tmp_path,
    )
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"OTEL_AGENTS_CAPTURE_CONTENT": "maybe"}, "OTEL_AGENTS_CAPTURE_CONTENT"),
        ({"OTEL_AGENTS_RECENT_EVENTS": "lots"}, "OTEL_AGENTS_RECENT_EVENTS"),
        ({"OTEL_AGENTS_MAX_VALUE_LENGTH": "10"}, "OTEL_AGENTS_MAX_VALUE_LENGTH"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        # Checked even with no endpoint set (the OTLP rules then load only to check it).
        ({"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
        # Checked at once although the roll-up it configures is built with the first batch.
        ({"OTEL_AGENTS_FOREIGN_SPANS": "genai,langfuse"}, "OTEL_AGENTS_FOREIGN_SPANS"),
    ],
)
def test_invalid_configuration_fails_at_configure_time_naming_the_variable(
    monkeypatch, env, needle
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(oa.ConfigurationError, match=needle):
        oa.configure(tracer_provider=TracerProvider())
    assert oa.get_telemetry() is None


def test_invalid_critical_exceptions_are_rejected():
    with pytest.raises(oa.ConfigurationError, match="critical_exceptions"):
        oa.configure(tracer_provider=TracerProvider(), critical_exceptions=["ValueError"])


def test_recent_events_filters_by_agent_status_and_count(traced):
    @oa.agent
    def ok():
        return 1

    @oa.agent
    def bad():
        raise ValueError

    for _ in range(3):
        ok()
        with pytest.raises(ValueError):
            bad()
    assert len(oa.recent_events(count=2)) == 2
    assert [e.name for e in oa.recent_events(agent="bad")] == ["bad"] * 3
    failures = oa.recent_events(count=10, status=oa.Status.FAILURE)
    assert {e.name for e in failures} == {"bad"}


def test_recent_events_buffer_is_bounded(tmp_path):
    oa.configure(
        tracer_provider=TracerProvider(), recent_events_size=5, outcome_log=tmp_path / "o.jsonl"
    )
    try:

        @oa.tool
        def t(i):
            return i

        for i in range(20):
            t(i)
        assert len(oa.recent_events(count=100)) == 5
    finally:
        oa.shutdown()


def test_a_failing_sink_never_reaches_agent_code(tmp_path):
    class BrokenSink:
        def export_events(self, events):
            raise RuntimeError("sink down")

        def force_flush(self, timeout_millis=30000):
            raise RuntimeError("flush down")

        def shutdown(self):
            raise RuntimeError("shutdown down")

    oa.configure(
        tracer_provider=TracerProvider(), sinks=[BrokenSink()], outcome_log=tmp_path / "o.jsonl"
    )
    try:

        @oa.agent
        def a():
            return "fine"

        assert a() == "fine"
        oa.force_flush()
        assert [e.name for e in oa.recent_events()] == ["a"]
    finally:
        oa.shutdown()
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1


def test_outcomes_are_recorded_even_when_the_trace_is_not_sampled_out_of_the_queue(tmp_path):
    telemetry = oa.configure(tracer_provider=TracerProvider(), outcome_log=tmp_path / "o.jsonl")
    try:

        @oa.tool
        def t(i):
            return i

        for i in range(5000):
            t(i)
        oa.force_flush()
        assert telemetry.processor.processed == 5000
        assert telemetry.processor.dropped == 0
    finally:
        oa.shutdown()


def test_otlp_endpoint_adds_an_otlp_exporter(tmp_path):
    result = _run(
        """
        import otel_agents as oa
        t = oa.configure(outcome_log="o.jsonl")
        print([type(p.span_exporter).__module__ for p in t.extra_processors])
        oa.shutdown()
        """,
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_BSP_EXPORT_TIMEOUT="200",
    )
    assert "otlp.proto.http" in result.stdout, result.stderr


def test_without_configure_decorators_use_the_applications_own_provider(tmp_path):
    result = _run(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import otel_agents as oa

        @oa.agent                      # decorated before any provider exists
        def planner(task):
            oa.record(input_tokens=7)
            return task

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        planner("x")
        (span,) = exporter.get_finished_spans()
        print(span.name, span.attributes["gen_ai.usage.input_tokens"],
              span.attributes["agent.outcome.status"])
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["invoke_agent", "planner", "7", "SUCCESS"]
    assert not (tmp_path / ".otel-agents").exists()  # nothing written without configure()


def test_the_tracer_is_taken_with_the_first_span_then_called_directly(tmp_path):
    from otel_agents._state import RUNTIME
    from otel_agents.semconv import INSTRUMENTATION_SCOPE
    from otel_agents.version import __version__

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    oa.configure(tracer_provider=provider, outcome_log=tmp_path / "o.jsonl")
    try:

        @oa.agent
        def planner() -> int:
            return 1

        assert planner() == 1 and planner() == 1
        # Taken once (at start-up it would cost ~1 M instructions), then used as it is:
        # no stand-in stays between the calls and the SDK's tracer.
        tracer = getattr(RUNTIME.tracer, "sdk_tracer", RUNTIME.tracer)
        assert tracer is provider.get_tracer(INSTRUMENTATION_SCOPE, __version__)
        assert [span.name for span in exporter.get_finished_spans()] == ["invoke_agent planner"] * 2
    finally:
        oa.shutdown()


class _Collecting:
    """A sink of the user's that serialises each event, as a network sink would."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    def export_events(self, events):
        self.payloads.extend(event.to_json_bytes() for event in events)

    def force_flush(self, timeout_millis=30000):
        return True

    def shutdown(self):
        return None


@pytest.mark.parametrize("other_sink", [False, True])
def test_the_outcome_log_leaves_the_json_on_the_event_only_for_other_sinks(tmp_path, other_sink):
    collecting = _Collecting()
    oa.configure(
        tracer_provider=TracerProvider(),
        outcome_log=tmp_path / "o.jsonl",
        sinks=[collecting] if other_sink else [],
    )
    try:

        @oa.tool
        def t(i):
            return i

        for i in range(3):
            t(i)
        assert oa.force_flush(10_000)
        for event in oa.recent_events(count=3):
            # Kept: both sinks serialised it once; not kept: the log freed its copy.
            kept = event.to_json_bytes(keep=False) is event.to_json_bytes(keep=False)
            assert kept is other_sink
        logged = (tmp_path / "o.jsonl").read_bytes().splitlines()
        assert len(logged) == 3
        if other_sink:
            assert sorted(collecting.payloads) == sorted(logged)
    finally:
        oa.shutdown()
