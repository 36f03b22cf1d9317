"""Time otel-agents' ``@agent`` against raw OTel, a lean wrapt decorator and a bare call.

Started by ``bench_decorators.py`` (one process per subject); by hand:

    python benchmarks/subject_ours.py --out ours.json [--calls 20000 --repeats 7]
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import wrapt
from _harness import (
    END_ATTRIBUTES,
    SPAN_NAME,
    START_ATTRIBUTES,
    Case,
    batch_provider,
    exporter_drops,
    main,
    plan,
    plan_async,
    raw_otel_cases,
)
from opentelemetry.trace import SpanKind, StatusCode

import otel_agents as oa
from otel_agents._state import RUNTIME

AGENT_OPTIONS: dict[str, Any] = {
    "name": "planner",
    "agent_id": "planner-1",
    "version": "1.2.0",
    "model": "gpt-4o-mini",
    "provider": "openai",
}


def _lean_wrapt_case() -> Case:
    """The reference the issue names: wrapt + OTel + outcome/exception handling, nothing else."""
    provider, exporter = batch_provider()
    tracer = provider.get_tracer("bench.lean")
    internal = SpanKind.INTERNAL
    failed = {"agent.outcome.status": "FAILURE", "agent.outcome.severity": "ERROR"}

    @wrapt.decorator
    def lean(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        with tracer.start_as_current_span(
            SPAN_NAME,
            kind=internal,
            attributes=START_ATTRIBUTES,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                result = wrapped(*args, **kwargs)
            except BaseException as exc:
                span.set_attributes({**failed, "error.type": type(exc).__qualname__})
                span.record_exception(exc)
                span.set_status(StatusCode.ERROR, str(exc))
                raise
            span.set_attributes(END_ATTRIBUTES)
            return result

    traced = lean(plan)
    return Case(
        "lean wrapt decorator",
        lambda: traced("task"),
        baseline="raw OTel",
        flush=provider.force_flush,
        drops=exporter_drops(exporter),
        note="reference: wrapt + start_as_current_span + outcome/exception handling",
    )


def _ours_cases() -> list[Case]:
    provider, exporter = batch_provider()

    # RUNTIME is private; it is used here to point the decorators at a provider that has
    # only the BatchSpanProcessor, measuring the decorator alone: configure() always adds
    # the outcome processor (timed separately below).
    def use_plain() -> None:
        RUNTIME.use_tracer_provider(provider)

    agent = oa.agent(**AGENT_OPTIONS)(plan)
    agent_async = oa.agent(**AGENT_OPTIONS)(plan_async)
    agent_content = oa.agent(capture_content=True, **AGENT_OPTIONS)(plan)
    flush, drops = provider.force_flush, exporter_drops(exporter)

    configured, configured_exporter = batch_provider()
    outcome_log = Path(tempfile.mkdtemp(prefix="otel-agents-bench-")) / "outcomes.jsonl"
    telemetry = oa.configure(
        service_name="bench", tracer_provider=configured, outcome_log=outcome_log
    )
    processor = telemetry.processor

    def use_configured() -> None:
        RUNTIME.use_tracer_provider(configured)

    def flush_configured() -> None:
        configured.force_flush()

    def outcome_drops(ended: int) -> dict[str, int]:
        return {
            "ended": ended,
            "exported": configured_exporter.exported,
            "outcome_processed": processor.processed,
            "outcome_dropped": processor.dropped,
            "outcome_failed": processor.failed,
        }

    def use_no_sdk() -> None:
        # No global provider is ever set in this process: the API's no-op tracer answers.
        RUNTIME.use_tracer_provider(None)

    return [
        Case(
            "otel-agents @agent",
            lambda: agent("task"),
            baseline="raw OTel",
            activate=use_plain,
            flush=flush,
            drops=drops,
            note="BatchSpanProcessor only (as raw OTel)",
        ),
        Case(
            "otel-agents @agent, capture_content",
            lambda: agent_content("task"),
            baseline="raw OTel",
            activate=use_plain,
            flush=flush,
            drops=drops,
            note="+ input/output as JSON attributes (peers capture them by default)",
        ),
        Case(
            "otel-agents @agent + configure()",
            lambda: agent("task"),
            baseline="raw OTel",
            activate=use_configured,
            flush=flush_configured,
            drops=outcome_drops,
            note="+ OutcomeSpanProcessor, default sinks (recent events, JSON-lines log)",
        ),
        Case(
            "otel-agents @agent, no SDK",
            lambda: agent("task"),
            baseline="bare call",
            activate=use_no_sdk,
            note="no-op provider: the cost when tracing is off",
        ),
        Case(
            "otel-agents @agent (async)",
            lambda: agent_async("task"),
            baseline="raw OTel (async)",
            is_async=True,
            activate=use_plain,
            flush=flush,
            drops=drops,
        ),
    ]


def build() -> list[Case]:
    return [*raw_otel_cases(), _lean_wrapt_case(), *_ours_cases()]


if __name__ == "__main__":
    main("otel-agents", build)
