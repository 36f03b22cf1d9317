"""Outcomes survive trace sampling: agent spans a sampler would drop are still *recorded*.

``OutcomeSampler`` wraps any sampler. Where the delegate says DROP for an agent, tool,
workflow or LLM span (``gen_ai.operation.name``, ``openinference.span.kind`` or
``traceloop.span.kind`` set when the span starts) or for a span below a recorded-only one,
it answers RECORD_ONLY instead: the span is recorded, so our ``OutcomeSpanProcessor``
turns it into an OutcomeEvent (or rolls it up into one), but it is not sampled, so the
``BatchSpanProcessor``/OTLP path still sees only the traces the delegate kept. Other
spans get the delegate's decision unchanged.

    provider = TracerProvider(sampler=OutcomeSampler(ParentBased(TraceIdRatioBased(0.1))))
    # 10% of traces reach OTLP; 100% of agent outcomes reach Kafka
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from otel_agents import semconv

__all__ = ["OutcomeSampler", "wrap_sampler"]


class OutcomeSampler(Sampler):
    """Delegates to ``delegate``, but never lets it drop an outcome span (records it instead).

    >>> sampler = OutcomeSampler(ParentBased(TraceIdRatioBased(0.1)))
    >>> TracerProvider(sampler=sampler)
    """

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        result = self.delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )
        if result.decision is not Decision.DROP:
            return result
        if attributes and _marks_outcome_or_llm(attributes):
            return SamplingResult(Decision.RECORD_ONLY, attributes, result.trace_state)
        # Below a recorded-only outcome span everything is recorded too, so the LLM calls
        # and steps of an unsampled run still roll up into its event (not exported).
        parent = trace.get_current_span(parent_context)
        if parent.is_recording() and not parent.get_span_context().trace_flags.sampled:
            return SamplingResult(Decision.RECORD_ONLY, attributes, result.trace_state)
        return result

    def get_description(self) -> str:
        return f"OutcomeSampler{{{self.delegate.get_description()}}}"


#: Attributes other libraries set at span start on agent, tool and LLM spans.
_KIND_ATTRIBUTES = ("openinference.span.kind", "traceloop.span.kind")


def _marks_outcome_or_llm(attributes: Mapping[str, Any]) -> bool:
    if attributes.get(semconv.GEN_AI_OPERATION_NAME) is not None:
        return True  # ours, or another library's GenAI agent/tool/LLM span
    return any(attributes.get(key) is not None for key in _KIND_ATTRIBUTES)


def wrap_sampler(provider: Any) -> bool:
    """Wrap ``provider.sampler`` in an ``OutcomeSampler`` (once); False if it has none.

    Tracers obtained from the provider afterwards use the wrapped sampler.

    >>> wrap_sampler(trace.get_tracer_provider())
    True
    """
    sampler = getattr(provider, "sampler", None)
    if not isinstance(sampler, Sampler):
        return False
    if not isinstance(sampler, OutcomeSampler):
        try:
            provider.sampler = OutcomeSampler(sampler)
        except AttributeError:  # a provider whose sampler is read-only
            return False
    return True
