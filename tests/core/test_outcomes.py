"""How calls end (status, severity, errors) and what oa.record() and friends add."""

from __future__ import annotations

import asyncio
import math

import pytest
from opentelemetry import baggage, propagate
from opentelemetry.trace import StatusCode

import otel_agents as oa
from otel_agents import semconv


def test_exception_is_reraised_unchanged_and_recorded_as_failure(traced):
    error = ValueError("bad input")

    @oa.agent
    def failing():
        raise error

    with pytest.raises(ValueError) as caught:
        failing()
    assert caught.value is error
    span = traced.span("invoke_agent failing")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError: bad input"
    assert span.attributes[semconv.OUTCOME_STATUS] == "FAILURE"
    assert span.attributes[semconv.OUTCOME_SEVERITY] == "ERROR"
    assert span.attributes[semconv.ERROR_TYPE] == "ValueError"
    assert [e.name for e in span.events] == ["exception"]
    event = traced.events()[-1]
    assert event.error_message == "bad input"
    assert "raise error" in event.error_stack_trace


def test_timeout_error_is_timeout(traced):
    @oa.agent
    def slow():
        raise TimeoutError("llm took too long")

    with pytest.raises(TimeoutError):
        slow()
    assert traced.span("invoke_agent slow").attributes[semconv.OUTCOME_STATUS] == "TIMEOUT"


async def test_asyncio_timeout_is_timeout(traced):
    @oa.agent
    async def slow():
        await asyncio.sleep(1)

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(slow(), 0.01)
    # wait_for cancels the inner call: the agent itself saw a cancellation.
    assert traced.span("invoke_agent slow").attributes[semconv.OUTCOME_STATUS] == "CANCELLED"


async def test_cancelled_error_is_cancelled_and_reraised(traced):
    @oa.agent
    async def long_run():
        await asyncio.sleep(10)

    task = asyncio.create_task(long_run())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    span = traced.span("invoke_agent long_run")
    assert span.attributes[semconv.OUTCOME_STATUS] == "CANCELLED"
    assert span.attributes[semconv.OUTCOME_SEVERITY] == "WARNING"
    assert span.status.status_code is StatusCode.UNSET


def test_keyboard_interrupt_is_cancelled_and_reraised(traced):
    @oa.agent
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert traced.span("invoke_agent interrupted").attributes[semconv.OUTCOME_STATUS] == "CANCELLED"


def test_exceptions_marked_critical_get_critical_severity(tmp_path):
    class DataLoss(Exception):
        pass

    from opentelemetry.sdk.trace import TracerProvider

    oa.configure(
        tracer_provider=TracerProvider(),
        outcome_log=tmp_path / "o.jsonl",
        critical_exceptions=[DataLoss],
    )
    try:

        @oa.agent
        def risky():
            raise DataLoss("gone")

        with pytest.raises(DataLoss):
            risky()
        event = oa.recent_events()[-1]
        assert (event.status, event.severity) == ("FAILURE", "CRITICAL")
        assert event.error_type.endswith("DataLoss")
    finally:
        oa.shutdown()


def test_record_partial_status(traced):
    @oa.agent
    def half():
        oa.record(status=oa.Status.PARTIAL)
        return "some"

    half()
    span = traced.span("invoke_agent half")
    assert span.attributes[semconv.OUTCOME_STATUS] == "PARTIAL"
    assert span.attributes[semconv.OUTCOME_SEVERITY] == "WARNING"


def test_record_sets_outcome_fields_and_tokens_add_up(traced):
    @oa.agent
    def thinker():
        oa.record(input_tokens=800, output_tokens=100, llm_latency_ms=400.0, cost_usd=0.002)
        oa.record(input_tokens=12, output_tokens=64, llm_latency_ms=20.5, cost_usd=0.0011)
        oa.record(
            quality_score=0.92,
            confidence_score=0.8,
            reward=0.7,
            retry_count=2,
            metadata={"model_version": "v3"},
            tags=["a", "b"],
        )
        return "ok"

    thinker()
    attrs = traced.span("invoke_agent thinker").attributes
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 812
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 164
    assert attrs[semconv.OUTCOME_LLM_LATENCY_MS] == pytest.approx(420.5)
    assert attrs[semconv.OUTCOME_COST_USD] == pytest.approx(0.0031)
    assert attrs[semconv.OUTCOME_QUALITY_SCORE] == 0.92
    assert attrs[semconv.OUTCOME_RETRY_COUNT] == 2
    assert attrs["agent.metadata.model_version"] == "v3"
    event = traced.events()[-1]
    assert (event.input_tokens, event.output_tokens, event.total_tokens) == (812, 164, 976)
    assert event.metadata == {"model_version": "v3"}
    assert event.tags == ["a", "b"]


def test_record_outside_an_action_is_ignored(traced):
    oa.record(input_tokens=1)
    oa.thought("nobody listens")
    assert traced.spans() == []


@pytest.mark.internal_errors
def test_record_with_bad_values_never_raises(traced):
    class Unprintable:
        def __repr__(self):
            raise RuntimeError("no repr")

    cyclic: dict = {}
    cyclic["self"] = cyclic

    @oa.agent
    def messy():
        oa.record(
            input_tokens="many",
            quality_score=math.nan,
            status="BOGUS",
            metadata={
                "obj": Unprintable(),
                "cycle": cyclic,
                "blob": b"\x00\x01",
                "big": "x" * 100_000,
                "nan": math.inf,
            },
        )
        return 1

    assert messy() == 1
    attrs = traced.span("invoke_agent messy").attributes
    assert attrs[semconv.OUTCOME_STATUS] == "SUCCESS"
    assert "unrepresentable" in attrs["agent.metadata.obj"]
    assert "[cycle]" in attrs["agent.metadata.cycle"]
    assert len(attrs["agent.metadata.big"]) <= 4096
    assert "truncated" in attrs["agent.metadata.big"]


def test_secret_metadata_keys_are_redacted(traced):
    @oa.agent
    def uses_keys():
        oa.record(metadata={"api_key": "sk-abc", "user": "ann"})

    uses_keys()
    event = traced.events()[-1]
    assert event.metadata == {"api_key": "[REDACTED]", "user": "ann"}


def test_outcome_fields_are_read_from_a_returned_dict(traced):
    @oa.agent
    def scored():
        return {"answer": 42, "tokens_used": 99, "quality_score": 0.5, "confidence": 0.7}

    scored()
    event = traced.events()[-1]
    assert (event.total_tokens, event.quality_score, event.confidence_score) == (99, 0.5, 0.7)


def test_outcome_fields_are_read_from_returned_object_attributes(traced):
    class Result:
        def __init__(self):
            self.reward = 1.5
            self.status = "PARTIAL"

    @oa.agent
    def rl_step():
        return Result()

    rl_step()
    event = traced.events()[-1]
    assert (event.reward, event.status) == (1.5, "PARTIAL")


def test_outcome_hook_maps_the_return_value(traced):
    @oa.agent(outcome=lambda result: {"reward": result["score"] * 2, "status": "PARTIAL"})
    def judged():
        return {"score": 0.25}

    judged()
    event = traced.events()[-1]
    assert (event.reward, event.status) == (0.5, "PARTIAL")


@pytest.mark.internal_errors
def test_a_broken_outcome_hook_does_not_affect_the_call(traced):
    @oa.agent(outcome=lambda result: 1 / 0)
    def fine():
        return "result"

    assert fine() == "result"
    assert traced.events()[-1].status == "SUCCESS"


def test_thought_and_evaluation_become_span_events(traced):
    @oa.agent
    def reflective():
        oa.thought("the tests look flaky; checking CI first")
        oa.evaluation("relevance", score=0.8, label="relevant", explanation="on topic")

    reflective()
    event = traced.events()[-1]
    names = [e["name"] for e in event.events]
    assert names == [semconv.EVENT_THOUGHT, semconv.EVENT_GEN_AI_EVALUATION_RESULT]
    assert event.events[0]["attributes"][semconv.THOUGHT_TEXT].startswith("the tests")
    assert event.events[1]["attributes"][semconv.GEN_AI_EVALUATION_SCORE_VALUE] == 0.8


def test_workflow_is_partial_when_a_step_failed_but_it_returned(traced):
    @oa.agent
    def flaky():
        raise RuntimeError("x")

    @oa.agent
    def solid():
        return 1

    with oa.workflow("report", tags=["compliance"]) as wf:
        solid()
        with pytest.raises(RuntimeError):
            flaky()
    events = {e.name: e for e in traced.events()}
    report = events["report"]
    assert report.status == "PARTIAL"
    assert (report.steps_total, report.steps_failed) == (2, 1)
    assert report.tags == ["compliance"]
    assert report.workflow_id == wf.workflow_id
    assert events["solid"].workflow_id == wf.workflow_id
    assert events["solid"].workflow_name == "report"


def test_workflow_that_raises_is_failure_and_success_when_all_steps_pass(traced):
    @oa.workflow(name="nightly")
    def nightly(fail):
        if fail:
            raise ValueError("stop")
        return "ok"

    nightly(False)
    with pytest.raises(ValueError):
        nightly(True)
    statuses = [e.status for e in traced.events(agent="nightly")]
    assert statuses == ["SUCCESS", "FAILURE"]


async def test_async_workflow_context_manager(traced):
    @oa.agent
    async def step():
        return 1

    async with oa.workflow("async-flow", correlation_id="req-7"):
        await step()
    event = traced.events(agent="step")[-1]
    assert event.correlation_id == "req-7"
    assert event.workflow_name == "async-flow"


def test_workflow_ids_cross_process_boundaries_through_baggage(traced):
    carrier: dict[str, str] = {}

    with oa.workflow("distributed", correlation_id="corr-1") as wf:
        propagate.inject(carrier)
    assert "baggage" in carrier and "traceparent" in carrier

    # The "other process": only the carrier arrives.
    from opentelemetry import context

    @oa.agent
    def remote_agent():
        return 1

    token = context.attach(propagate.extract(carrier))
    try:
        assert baggage.get_baggage(semconv.BAGGAGE_WORKFLOW_ID) == wf.workflow_id
        remote_agent()
    finally:
        context.detach(token)
    event = traced.events(agent="remote_agent")[-1]
    assert (event.workflow_id, event.correlation_id) == (wf.workflow_id, "corr-1")
    assert event.workflow_name == "distributed"


def test_correlate_sets_the_correlation_id_of_nested_actions(traced):
    @oa.tool
    def t():
        return 1

    with oa.correlate("req-42"):
        t()
    assert traced.events()[-1].correlation_id == "req-42"


def test_content_is_not_captured_by_default(traced):
    @oa.agent
    def secret(prompt):
        return "answer"

    secret("my password=hunter2")
    event = traced.events()[-1]
    assert event.input is None and event.output is None


def test_content_capture_is_opt_in_size_limited_and_redacted(traced):
    @oa.tool(capture_content=True)
    def call_api(prompt, token=None):
        return "x" * 10_000

    call_api("hello", token="api_key=sk-abcdefghijklmnopqrstuvwxyz")
    attrs = traced.span("execute_tool call_api").attributes
    assert "hello" in attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]
    assert "sk-abcdefghijklmnop" not in attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]
    assert "[REDACTED]" in attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]
    assert len(attrs[semconv.GEN_AI_TOOL_CALL_RESULT]) <= 4096


@pytest.mark.internal_errors
def test_hooks_see_each_call_and_a_failing_hook_never_breaks_the_agent(traced):
    calls = []

    @oa.add_pre_hook
    def before(call):
        calls.append(("pre", call.name))

    @oa.add_post_hook
    def after(call):
        calls.append(("post", call.name, call.status, call.result))

    @oa.add_post_hook
    def broken(call):
        raise RuntimeError("hook bug")

    @oa.agent
    def worker():
        return 5

    errors_before = traced.telemetry.stats()["internal_errors"]
    assert worker() == 5
    assert calls == [("pre", "worker"), ("post", "worker", "SUCCESS", 5)]
    assert traced.telemetry.stats()["internal_errors"] == errors_before + 1


async def test_async_hooks_are_awaited_in_async_actions(traced):
    seen = []

    async def after(call):
        await asyncio.sleep(0)
        seen.append((call.name, call.status, type(call.error).__name__))

    oa.add_post_hook(after)

    @oa.agent
    async def failing():
        raise ValueError("x")

    with pytest.raises(ValueError):
        await failing()
    assert seen == [("failing", "FAILURE", "ValueError")]
    oa.remove_hook(after)


def test_current_event_id_matches_the_emitted_event(traced):
    ids = []

    @oa.agent
    def me():
        ids.append(oa.current_event_id())

    me()
    assert ids[0] is not None
    assert traced.events()[-1].event_id == ids[0]
    assert oa.current_event_id() is None


def test_steps_inside_correlate_still_count_for_their_workflow(traced):
    @oa.agent
    def failing():
        raise RuntimeError("x")

    with oa.workflow("wf"), oa.correlate("req-1"), pytest.raises(RuntimeError):
        failing()
    workflow = traced.events(agent="wf")[-1]
    assert (workflow.status, workflow.steps_failed) == ("PARTIAL", 1)
    assert traced.events(agent="failing")[-1].correlation_id == "req-1"
