"""OutcomeMetrics: OTel metrics recorded from finished outcomes, through the public API."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents.export.metrics import DURATION_BUCKETS_S, TOKEN_BUCKETS, OutcomeMetrics


class Recorded:
    """Metric points collected from one reader, by metric name."""

    def __init__(self, reader: InMemoryMetricReader) -> None:
        self._reader = reader

    def points(self, name: str) -> list[Any]:
        oa.force_flush()
        data = self._reader.get_metrics_data()
        found: list[Any] = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def names(self) -> set[str]:
        oa.force_flush()
        data = self._reader.get_metrics_data()
        return {
            m.name
            for rm in (data.resource_metrics if data else [])
            for sm in rm.scope_metrics
            for m in sm.metrics
        }


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[Recorded]:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    tracer_provider = TracerProvider(resource=Resource.create({"service.name": "metrics-test"}))
    oa.configure(
        tracer_provider=tracer_provider,
        outcome_log=tmp_path / "o.jsonl",
        sinks=[OutcomeMetrics(meter_provider=meter_provider)],
    )
    try:
        yield Recorded(reader)
    finally:
        oa.shutdown()
        tracer_provider.shutdown()
        meter_provider.shutdown()


@oa.tool(name="web_search")
def web_search(query: str) -> str:
    return query.upper()


@oa.agent(name="researcher")
def researcher(question: str) -> str:
    oa.record(
        input_tokens=812,
        output_tokens=164,
        cost_usd=0.0123,
        quality_score=0.9,
        confidence_score=0.75,
        reward=1.0,
        model="gpt-4o-mini",
        provider="openai",
    )
    return web_search(question)


@oa.agent(name="flaky")
def flaky() -> None:
    raise TimeoutError("model did not answer")


def test_an_agent_run_records_tokens_by_type(recorded: Recorded) -> None:
    researcher("why")
    points = recorded.points("gen_ai.client.token.usage")
    by_type = {p.attributes["gen_ai.token.type"]: p for p in points}
    assert by_type["input"].sum == 812
    assert by_type["output"].sum == 164
    assert by_type["input"].attributes["gen_ai.agent.name"] == "researcher"
    assert by_type["input"].attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert tuple(by_type["input"].explicit_bounds) == TOKEN_BUCKETS


def test_agent_and_tool_durations_use_their_own_instruments(recorded: Recorded) -> None:
    researcher("why")
    (agent,) = recorded.points("gen_ai.invoke_agent.duration")
    (tool,) = recorded.points("gen_ai.execute_tool.duration")
    assert isinstance(agent, HistogramDataPoint)
    assert agent.count == 1 and agent.sum > 0
    assert agent.attributes is not None
    assert agent.attributes["gen_ai.agent.name"] == "researcher"
    assert agent.attributes["agent.outcome.status"] == "SUCCESS"
    assert tool.attributes["gen_ai.tool.name"] == "web_search"
    assert tuple(agent.explicit_bounds) == pytest.approx(DURATION_BUCKETS_S)


def test_a_workflow_records_its_duration(recorded: Recorded) -> None:
    with oa.workflow("report"):
        researcher("why")
    (point,) = recorded.points("gen_ai.workflow.duration")
    assert point.attributes["gen_ai.workflow.name"] == "report"


def test_outcomes_are_counted_by_agent_and_status(recorded: Recorded) -> None:
    researcher("a")
    researcher("b")
    with pytest.raises(TimeoutError):
        flaky()
    counts = {
        (p.attributes.get("gen_ai.agent.name"), p.attributes["agent.outcome.status"]): p.value
        for p in recorded.points("agent.outcomes")
        if p.attributes["gen_ai.operation.name"] == "invoke_agent"
    }
    assert counts == {("researcher", "SUCCESS"): 2, ("flaky", "TIMEOUT"): 1}


def test_a_failure_carries_its_error_type_on_the_duration(recorded: Recorded) -> None:
    with pytest.raises(TimeoutError):
        flaky()
    (point,) = recorded.points("gen_ai.invoke_agent.duration")
    assert point.attributes["error.type"] == "TimeoutError"
    assert point.attributes["agent.outcome.status"] == "TIMEOUT"


def test_cost_and_scores_are_histograms(recorded: Recorded) -> None:
    researcher("why")
    for name, value in (
        ("agent.outcome.cost_usd", 0.0123),
        ("agent.outcome.quality_score", 0.9),
        ("agent.outcome.confidence_score", 0.75),
    ):
        (point,) = recorded.points(name)
        assert point.sum == pytest.approx(value), name
        assert point.attributes["gen_ai.agent.name"] == "researcher"


@oa.agent(name="gambler")
def gambler(reward: float) -> None:
    oa.record(reward=reward)


def test_rewards_may_be_negative_and_average_from_sum_and_count(recorded: Recorded) -> None:
    for reward in (1.0, -0.5, -1.5):
        gambler(reward)
    (total,) = recorded.points("agent.outcome.reward")
    (count,) = recorded.points("agent.outcome.rewarded")
    assert total.value == pytest.approx(-1.0)
    assert count.value == 3
    assert total.attributes["gen_ai.agent.name"] == "gambler"


@oa.agent(name="critic")
def critic(reward: float | None) -> None:
    if reward is not None:
        oa.record(reward=reward)


def test_a_batchs_rewards_and_outcomes_add_up_per_agent(recorded: Recorded) -> None:
    # One batch (nothing flushed in between), two agents, outcomes with and without a
    # reward: the counters are added per agent and batch, so each total is the sum.
    for reward in (1.0, -0.5, 2.0):
        gambler(reward)
    for maybe in (None, 3.0, None):
        critic(maybe)
    totals = {
        p.attributes["gen_ai.agent.name"]: p.value for p in recorded.points("agent.outcome.reward")
    }
    rewarded = {
        p.attributes["gen_ai.agent.name"]: p.value
        for p in recorded.points("agent.outcome.rewarded")
    }
    outcomes: dict[str, int] = {}
    for point in recorded.points("agent.outcomes"):
        name = point.attributes["gen_ai.agent.name"]
        outcomes[name] = outcomes.get(name, 0) + point.value
    assert totals == {"gambler": pytest.approx(2.5), "critic": pytest.approx(3.0)}
    assert rewarded == {"gambler": 3, "critic": 1}
    assert outcomes == {"gambler": 3, "critic": 3}


def test_no_attribute_is_an_id(recorded: Recorded) -> None:
    with oa.workflow("report"):
        researcher("why")
    keys = {
        key
        for name in recorded.names()
        for point in recorded.points(name)
        for key in point.attributes
    }
    assert not [k for k in keys if k.endswith(".id") or "id" in k.split(".")[-1].split("_")]


def test_a_failing_meter_never_raises_into_the_processor(tmp_path: Path) -> None:
    class Broken(OutcomeMetrics):
        def _record(self, event: oa.OutcomeEvent) -> None:
            raise RuntimeError("boom")

    sink = Broken(meter_provider=MeterProvider())
    provider = TracerProvider()
    oa.configure(tracer_provider=provider, outcome_log=tmp_path / "o.jsonl", sinks=[sink])
    try:
        assert researcher("x") == "X"
        oa.force_flush()
        assert sink.failed == 2  # the agent's and the tool's outcome
    finally:
        oa.shutdown()
        provider.shutdown()


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter: global providers are per process."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class _OtlpHttpReceiver:
    """Collects OTLP/HTTP metric exports on 127.0.0.1 (answers every POST with 200)."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

        received: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/metrics":
                    request = metrics_service_pb2.ExportMetricsServiceRequest()
                    request.ParseFromString(body)
                    received.extend(
                        m.name
                        for rm in request.resource_metrics
                        for sm in rm.scope_metrics
                        for m in sm.metrics
                    )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.metric_names = received
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_an_otlp_endpoint_exports_the_metrics_over_otlp(tmp_path: Path) -> None:
    receiver = _OtlpHttpReceiver()
    try:
        result = _python(
            """
            from opentelemetry import metrics
            import otel_agents as oa
            t = oa.configure(outcome_log="o.jsonl")

            @oa.agent(name="planner")
            def planner():
                oa.record(input_tokens=5, output_tokens=2)

            planner()
            print(metrics.get_meter_provider() is t.meter_provider)
            oa.shutdown()
            """,
            tmp_path,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        )
    finally:
        receiver.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert {"gen_ai.invoke_agent.duration", "gen_ai.client.token.usage", "agent.outcomes"} <= set(
        receiver.metric_names
    )


def test_the_apps_own_meter_provider_is_used(tmp_path: Path) -> None:
    result = _python(
        """
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        import otel_agents as oa

        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        t = oa.configure(outcome_log="o.jsonl")

        @oa.agent(name="planner")
        def planner():
            return 1

        planner()
        oa.force_flush()
        names = {m.name for rm in reader.get_metrics_data().resource_metrics
                 for sm in rm.scope_metrics for m in sm.metrics}
        print(t.meter_provider is None, "gen_ai.invoke_agent.duration" in names)
        """,
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_EXPORTER_OTLP_TIMEOUT="1",
        OTEL_BSP_EXPORT_TIMEOUT="200",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_a_meter_provider_set_after_configure_gets_the_later_outcomes(tmp_path: Path) -> None:
    # Until a MeterProvider is set the sink skips its work (the API's proxy instruments
    # would drop it); from then on the same instruments forward, and nothing is skipped.
    result = _python(
        """
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        import otel_agents as oa

        t = oa.configure(outcome_log="o.jsonl")

        @oa.agent(name="planner")
        def planner():
            return 1

        planner()
        oa.force_flush()
        reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        planner()
        planner()
        oa.force_flush()
        points = [
            p.value
            for rm in reader.get_metrics_data().resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
            if m.name == "agent.outcomes"
            for p in m.data.data_points
        ]
        print(points, t.stats()["events"])
        oa.shutdown()
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[2]", "3"]
