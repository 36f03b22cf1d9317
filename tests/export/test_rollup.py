"""Roll-up of LLM spans into actions, other libraries' spans, prices, sessions — through the
public API, with spans shaped as the conventions define them (the framework tests in
tests/frameworks run the real libraries)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import StatusCode

import otel_agents as oa
from otel_agents.errors import ConfigurationError
from otel_agents.export.prices import PriceTable

OI = "openinference.instrumentation.test"
TL = "opentelemetry.instrumentation.openai"


@pytest.fixture
def provider() -> Iterator[TracerProvider]:
    provider = TracerProvider()
    yield provider
    oa.shutdown()
    provider.shutdown()


def configure(provider: TracerProvider, tmp_path: Path, **kwargs: Any) -> None:
    oa.configure(tracer_provider=provider, outcome_log=tmp_path / "o.jsonl", **kwargs)


def events() -> list[oa.OutcomeEvent]:
    return oa.recent_events(count=1000)


def llm_span(provider: TracerProvider, scope: str, attributes: dict[str, Any]) -> None:
    with provider.get_tracer(scope).start_as_current_span("llm", attributes=attributes):
        pass


def test_llm_calls_below_our_agent_roll_up(provider: TracerProvider, tmp_path: Path) -> None:
    configure(provider, tmp_path)

    @oa.agent
    def planner() -> None:
        for _ in range(2):
            llm_span(
                provider,
                OI,
                {
                    "openinference.span.kind": "LLM",
                    "llm.model_name": "gpt-4o",
                    "llm.provider": "openai",
                    "llm.token_count.prompt": 1000,
                    "llm.token_count.completion": 100,
                },
            )

    planner()
    (event,) = events()
    assert (event.input_tokens, event.output_tokens, event.total_tokens) == (2000, 200, 2200)
    assert event.llm_calls == 2 and event.model == "gpt-4o" and event.provider == "openai"
    assert event.cost_usd == pytest.approx((2000 * 2.5 + 200 * 10.0) / 1e6)


def test_stacked_instrumentations_count_one_call_once(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path)
    tracer = provider.get_tracer(OI)

    @oa.agent
    def planner() -> None:
        # A framework's LLM span with a client instrumentation's span for the same call.
        outer = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini"}
        outer |= {"llm.token_count.prompt": 50, "llm.token_count.completion": 5}
        with tracer.start_as_current_span("ChatOpenAI", attributes=outer):
            llm_span(
                provider,
                TL,
                {
                    "gen_ai.operation.name": "chat",
                    "llm.request.type": "chat",
                    "gen_ai.usage.input_tokens": 50,
                    "gen_ai.usage.output_tokens": 5,
                    "gen_ai.usage.cache_read.input_tokens": 10,
                },
            )

    planner()
    (event,) = events()
    assert (event.input_tokens, event.output_tokens, event.llm_calls) == (50, 5, 1)
    assert event.cached_input_tokens == 10 and event.model == "gpt-4o-mini"


def test_explicit_record_values_win(provider: TracerProvider, tmp_path: Path) -> None:
    configure(provider, tmp_path)

    @oa.agent
    def planner() -> None:
        oa.record(input_tokens=7, output_tokens=3, cost_usd=0.5)
        llm_span(provider, TL, {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 99})

    planner()
    (event,) = events()
    assert (event.input_tokens, event.output_tokens, event.cost_usd) == (7, 3, 0.5)
    assert event.llm_calls == 1


def test_unknown_models_get_no_cost_and_are_counted(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path)

    @oa.agent
    def planner() -> None:
        llm_span(
            provider,
            TL,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "in-house-llm",
                "gen_ai.usage.input_tokens": 10,
            },
        )

    planner()
    (event,) = events()
    assert event.input_tokens == 10 and event.cost_usd is None
    telemetry = oa.get_telemetry()
    assert telemetry is not None and telemetry.stats()["unpriced_llm_calls"] == 1


def test_prices_given_to_configure_price_unknown_models(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path, prices={"acme/in-house-llm": {"input": 1.0, "output": 2.0}})

    @oa.agent
    def planner() -> None:
        oa.record(model="in-house-llm", input_tokens=1_000_000, output_tokens=1_000_000)

    planner()
    (event,) = events()
    assert event.cost_usd == pytest.approx(3.0)


def test_a_user_price_file_overrides_the_shipped_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"openai/gpt-4o": {"input": 1, "output": 1}}}))
    table = PriceTable.load(environ={"OTEL_AGENTS_PRICES": str(path)})
    assert table.cost("openai", "gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(1.0)
    assert PriceTable.load().as_of is not None and PriceTable.load().source


def test_a_bad_price_file_fails_at_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="OTEL_AGENTS_PRICES"):
        PriceTable.load(environ={"OTEL_AGENTS_PRICES": str(tmp_path / "missing.json")})


def test_foreign_spans_setting_none_ignores_other_libraries(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path, foreign_spans="none")
    tracer = provider.get_tracer(OI)
    with tracer.start_as_current_span("x", attributes={"openinference.span.kind": "AGENT"}):
        pass
    assert events() == []


def test_an_unknown_convention_fails_at_configuration(
    provider: TracerProvider, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="OTEL_AGENTS_FOREIGN_SPANS"):
        configure(provider, tmp_path, foreign_spans="genai,langfuse")


def test_error_type_comes_from_the_exception_event(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path)
    tracer = provider.get_tracer("some.framework")
    attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}
    with tracer.start_as_current_span("invoke_agent a", attributes=attributes) as span:
        span.add_event("exception", {"exception.type": "TimeoutError", "exception.message": "t"})
        span.set_status(StatusCode.ERROR)
    (event,) = events()
    assert (event.status, event.error_type, event.error_message) == ("TIMEOUT", "TimeoutError", "t")


def test_a_run_around_named_agents_is_a_workflow_that_fails_with_them(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path)
    tracer = provider.get_tracer("some.framework")
    with tracer.start_as_current_span(
        "Agent workflow", attributes={"gen_ai.operation.name": "invoke_agent"}
    ):
        named = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage"}
        with tracer.start_as_current_span("invoke_agent triage", attributes=named) as span:
            span.add_event("exception", {"exception.type": "ValueError", "exception.message": "x"})
            span.set_status(StatusCode.ERROR)
    by_kind = {e.kind: e for e in events()}
    assert set(by_kind) == {"agent", "workflow"}
    assert by_kind["workflow"].status == "FAILURE"
    assert by_kind["workflow"].error_type == "ValueError"


def test_session_and_user_from_baggage_stamp_other_libraries_spans(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path)
    tracer = provider.get_tracer(OI)
    with oa.session("s-1"), oa.user("u-1"):
        tool = {"openinference.span.kind": "TOOL", "tool.name": "search"}
        with tracer.start_as_current_span("search", attributes=tool):
            pass
    (event,) = events()
    assert (event.session_id, event.user_id) == ("s-1", "u-1")


def test_feedback_carries_the_runs_session(provider: TracerProvider, tmp_path: Path) -> None:
    configure(provider, tmp_path)

    @oa.agent
    def planner() -> None:
        oa.record(session_id="s-9", user_id="u-9")

    planner()
    (event,) = events()
    feedback = oa.feedback(event, "positive")
    assert (feedback.session_id, feedback.user_id) == ("s-9", "u-9")


def test_capture_off_keeps_other_libraries_content_and_noise_out(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path)
    tracer = provider.get_tracer("pydantic-ai")
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "a",
        "pydantic_ai.all_messages": "secret prompt",
        "input.value": "secret prompt",
        "llm.input_messages.0.message.content": "secret prompt",
        "logfire.msg": "a run",
    }
    with tracer.start_as_current_span("invoke_agent a", attributes=attributes):
        pass
    oa.force_flush()
    text = (tmp_path / "o.jsonl").read_text()
    assert "secret prompt" not in text and "logfire" not in text


def test_capture_on_redacts_other_libraries_content(
    provider: TracerProvider, tmp_path: Path
) -> None:
    configure(provider, tmp_path, capture_content=True)
    tracer = provider.get_tracer("x")
    attributes = {
        "openinference.span.kind": "AGENT",
        "agent.name": "a",
        "input.value": "hello api_key=abc123456789 sk-" + "A" * 20,
    }
    with tracer.start_as_current_span("a", attributes=attributes):
        pass
    (event,) = events()
    assert event.input is not None and "hello" in event.input
    assert "abc123456789" not in event.input and "AAAAAAAAAAAAAAAAAAAA" not in event.input


def test_llm_calls_of_an_unsampled_run_still_roll_up(tmp_path: Path) -> None:
    provider = TracerProvider(sampler=ALWAYS_OFF)
    try:
        configure(provider, tmp_path)
        tracer = provider.get_tracer("some.framework")

        @oa.agent
        def planner() -> None:
            with tracer.start_as_current_span("step"):  # a plain span in between
                llm_span(
                    provider, TL, {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 5}
                )

        planner()
        (event,) = events()
        assert event.input_tokens == 5 and event.trace_flags & 1 == 0  # not sampled
    finally:
        oa.shutdown()
        provider.shutdown()


def test_a_bad_price_file_in_the_environment_fails_configure(
    provider: TracerProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The roll-up is built with the first batch, but what the user set is checked now.
    monkeypatch.setenv("OTEL_AGENTS_PRICES", str(tmp_path / "missing.json"))
    with pytest.raises(ConfigurationError, match="OTEL_AGENTS_PRICES"):
        configure(provider, tmp_path)


def test_a_bad_price_file_given_to_configure_fails_it(
    provider: TracerProvider, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="prices="):
        configure(provider, tmp_path, prices=tmp_path / "missing.json")
