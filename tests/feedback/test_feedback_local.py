"""oa.feedback on the embedded default: FeedbackEvent to the local log, OTel span, counter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_agents as oa
from otel_agents.events.feedback import FeedbackEvent, load_feedback_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    monkeypatch.delenv("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("OTEL_AGENTS_FEEDBACK_LOG", raising=False)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    oa.configure(
        service_name="feedback-test", tracer_provider=provider, outcome_log=tmp_path / "o.jsonl"
    )
    yield exporter
    oa.shutdown()


@oa.agent(name="support-bot")
def answer(question: str) -> str | None:
    oa.record(quality_score=0.4)
    return oa.current_event_id()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_feedback_goes_to_the_local_log_next_to_the_outcome_log(
    configured: InMemorySpanExporter, tmp_path: Path
) -> None:
    event_id = answer("where is my parcel?")
    assert event_id is not None
    sent = oa.feedback(event_id, "negative", comment="cited the wrong parcel", user="u-1")
    [document] = _lines(tmp_path / "feedback.jsonl")
    jsonschema.validate(document, load_feedback_schema())
    received = FeedbackEvent.from_dict(document)
    assert received == sent
    assert received.event_id == event_id
    assert received.agent_name == "support-bot"  # found in this process's recent outcomes
    assert received.trace_id is not None and document["traceparent"] == received.traceparent


def test_feedback_makes_a_span_linked_to_the_judged_span(
    configured: InMemorySpanExporter,
) -> None:
    event_id = answer("refund?")
    assert event_id is not None
    oa.feedback(event_id, "positive", score=1.0)
    spans = {span.name: span for span in configured.get_finished_spans()}
    judged, signal = spans["invoke_agent support-bot"], spans["feedback positive"]
    assert signal.context.trace_id == judged.context.trace_id
    assert signal.parent is not None and signal.parent.span_id == judged.context.span_id
    assert [link.context.span_id for link in signal.links] == [judged.context.span_id]
    [evaluation] = [e for e in signal.events if e.name == "gen_ai.evaluation.result"]
    assert evaluation.attributes == {
        "gen_ai.evaluation.name": "user_feedback",
        "gen_ai.evaluation.score.label": "positive",
        "gen_ai.evaluation.score.value": 1.0,
    }
    assert "gen_ai.operation.name" not in (signal.attributes or {})  # never an OutcomeEvent


def test_every_target_form_names_the_same_event(configured: InMemorySpanExporter) -> None:
    event_id = answer("q")
    judged = next(s for s in configured.get_finished_spans() if s.name.startswith("invoke_agent"))
    ctx = judged.context
    traceparent = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-01"
    [outcome] = oa.recent_events(count=1, agent="support-bot")
    for target in (event_id, outcome, ctx, traceparent):
        assert oa.feedback(target, "suggestion", correction="ask first").event_id == event_id


def test_bad_kind_or_target_is_a_value_error(configured: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError, match="positive, negative, correction, suggestion"):
        oa.feedback("0b0e4a5e-0000-5000-8000-000000000000", "meh")
    with pytest.raises(ValueError, match="current_event_id"):
        oa.feedback("not-an-id", "positive")


def test_a_disk_failure_never_raises_into_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.delenv("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("OTEL_AGENTS_FEEDBACK_LOG", str(blocker / "feedback.jsonl"))
    event = oa.feedback("0b0e4a5e-0000-5000-8000-000000000000", "positive")
    assert event.kind == "positive"


def test_feedback_counter_by_agent_and_kind() -> None:
    script = textwrap.dedent(
        """
        import json
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        import otel_agents as oa
        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        target = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
        oa.feedback(target, "positive", agent="support-bot")
        oa.feedback(target, "positive", agent="support-bot")
        oa.feedback(target, "negative", agent="support-bot")
        points = []
        for rm in reader.get_metrics_data().resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == "otel_agents.feedback":
                        points += [(dict(p.attributes), p.value) for p in metric.data.data_points]
        print(json.dumps(sorted(points, key=lambda p: p[0]["agent.feedback.kind"])))
        """
    )
    env = {"OTEL_AGENTS_FEEDBACK_LOG": os.devnull, "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(out) == [
        [{"gen_ai.agent.name": "support-bot", "agent.feedback.kind": "negative"}, 1],
        [{"gen_ai.agent.name": "support-bot", "agent.feedback.kind": "positive"}, 2],
    ]


def test_cli_feedback_finds_the_event_in_the_local_log(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    subprocess.run(
        [sys.executable, "-m", "tests.monitor.feeder", "--log", str(log), "--count", "3"],
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    event = json.loads(log.read_text().splitlines()[-1])["data"]
    env = {"OTEL_AGENTS_OUTCOME_LOG": str(log), "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from otel_agents.cli import main; sys.exit(main())",
            "feedback",
            event["event_id"],
            "--correction",
            "use the cheaper model",
            "--comment",
            "too expensive",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, load_feedback_schema())
    assert document["data"]["agent_name"] == event["agent_name"] == "coder"
    assert document["data"]["trace_id"] == event["trace_id"]
    assert document["data"]["origin"] == "cli"
    [line] = (tmp_path / "feedback.jsonl").read_text().splitlines()
    assert json.loads(line) == document


def test_cli_feedback_span_goes_to_otlp_when_configured(tmp_path: Path) -> None:
    import http.server
    import threading

    received: list[tuple[str, bytes]] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "OTEL_AGENTS_FEEDBACK_LOG": str(tmp_path / "feedback.jsonl"),
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
        }
        traceparent = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from otel_agents.cli import main; sys.exit(main())",
                "feedback",
                traceparent,
                "--negative",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stdout + result.stderr
    [(path, body)] = received
    assert path == "/v1/traces"
    assert b"feedback negative" in body and bytes.fromhex("ab" * 16) in body


def test_feedback_given_inside_the_action_knows_its_agent_and_span(
    configured: InMemorySpanExporter,
) -> None:
    @oa.agent(name="self-critic")
    def self_critic() -> oa.FeedbackEvent:
        event_id = oa.current_event_id()
        assert event_id is not None
        return oa.feedback(event_id, "suggestion", comment="cite sources next time")

    sent = self_critic()
    judged = next(
        s for s in configured.get_finished_spans() if s.name == "invoke_agent self-critic"
    )
    assert sent.agent_name == "self-critic"
    assert sent.span_id == f"{judged.context.span_id:016x}"
