"""Record outcome data on the current agent action: ``record``, ``thought``, ``evaluation``.

    @oa.agent
    def answer(q):
        oa.record(input_tokens=812, output_tokens=164, cost_usd=0.0031, quality_score=0.92)
        oa.thought("the user wants a summary, not a list")

Calls outside any agent action are ignored (so library code may call them freely).
Token counts, cost and LLM latency add up over several calls within one action (one per
LLM call); every other field keeps the last value given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from otel_agents import semconv
from otel_agents._state import RUNTIME
from otel_agents.events.jsonsafe import safe_str, to_attribute_value, truncate_text
from otel_agents.ids import event_id_for
from otel_agents.instrument import redaction
from otel_agents.instrument.action import ADDITIVE_ATTRIBUTES, CURRENT_ACTION, Action
from otel_agents.semconv import Severity, Status

_SCALAR_ATTRIBUTES = {
    "quality_score": semconv.OUTCOME_QUALITY_SCORE,
    "confidence_score": semconv.OUTCOME_CONFIDENCE_SCORE,
    "reward": semconv.OUTCOME_REWARD,
    "retry_count": semconv.OUTCOME_RETRY_COUNT,
    "model": semconv.GEN_AI_REQUEST_MODEL,
    "provider": semconv.GEN_AI_PROVIDER_NAME,
    "conversation_id": semconv.GEN_AI_CONVERSATION_ID,
    "tool_call_id": semconv.GEN_AI_TOOL_CALL_ID,
    "action_type": semconv.ACTION_TYPE,
    "session_id": semconv.SESSION_ID,
    "user_id": semconv.USER_ID,
}
#: Keys read from a returned dict (or object attributes) as outcome fields.
RESULT_FIELDS = frozenset(
    {*ADDITIVE_ATTRIBUTES, *_SCALAR_ATTRIBUTES, "tokens_used", "confidence", "status", "severity"}
)
_ALIASES = {"tokens_used": "total_tokens", "confidence": "confidence_score"}
_STATUS_VALUES = {s.value for s in Status}
_SEVERITY_VALUES = {s.value for s in Severity}
#: Our own bounds, well inside the SDK's default span limits (128 attributes): tags and
#: metadata can never push the identifying attributes out of a span.
MAX_TAGS = 32
MAX_TAG_LENGTH = 256
MAX_METADATA_KEYS = 100
MAX_METADATA_KEY_LENGTH = 128


def bounded_tags(tags: Iterable[Any]) -> tuple[str, ...]:
    """At most ``MAX_TAGS`` tags, each cut to ``MAX_TAG_LENGTH`` characters."""
    out: list[str] = []
    for tag in tags:
        if len(out) >= MAX_TAGS:
            RUNTIME.report_internal_error(
                f"tags: more than {MAX_TAGS}; the rest dropped", ValueError("too many tags")
            )
            break
        out.append(truncate_text(safe_str(tag), MAX_TAG_LENGTH))
    return tuple(out)


def record(
    *,
    status: Status | str | None = None,
    severity: Severity | str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    total_tokens: int | None = None,
    llm_latency_ms: float | None = None,
    cost_usd: float | None = None,
    quality_score: float | None = None,
    confidence_score: float | None = None,
    reward: float | None = None,
    retry_count: int | None = None,
    model: str | None = None,
    provider: str | None = None,
    conversation_id: str | None = None,
    tool_call_id: str | None = None,
    action_type: str | None = None,
    tags: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
) -> None:
    """Attach outcome fields to the current agent/tool/workflow action.

    oa.record(input_tokens=812, output_tokens=164, llm_latency_ms=420.5)
    oa.record(status=oa.Status.PARTIAL, metadata={"model_version": "v3"})
    """
    action = CURRENT_ACTION.get()
    if action is None or not action.span.is_recording():
        return
    fields = {
        name: value
        for name, value in (
            ("status", status),
            ("severity", severity),
            ("input_tokens", input_tokens),
            ("output_tokens", output_tokens),
            ("total_tokens", total_tokens),
            ("llm_latency_ms", llm_latency_ms),
            ("cost_usd", cost_usd),
            ("quality_score", quality_score),
            ("confidence_score", confidence_score),
            ("reward", reward),
            ("retry_count", retry_count),
            ("model", model),
            ("provider", provider),
            ("conversation_id", conversation_id),
            ("tool_call_id", tool_call_id),
            ("action_type", action_type),
            ("tags", tags),
            ("metadata", metadata),
            ("session_id", session_id),
            ("user_id", user_id),
        )
        if value is not None
    }
    try:
        attributes = outcome_attributes(action, fields)
        if attributes:
            action.span.set_attributes(attributes)
    except Exception as exc:
        RUNTIME.report_internal_error("record()", exc)


def outcome_attributes(action: Action, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Span attributes for outcome ``fields`` (as accepted by ``record``).

    Invalid values are skipped with a one-time log line rather than raised: this runs
    inside agent code.
    """
    attributes: dict[str, Any] = {}
    for raw_name, value in fields.items():
        if value is None:
            continue
        name = _ALIASES.get(raw_name, raw_name)
        if name in ADDITIVE_ATTRIBUTES:
            number = _count(value, name)
            if number is None:
                continue
            totals = action.totals
            if totals is None:
                totals = action.totals = {}
            total = totals.get(name, 0) + number
            if total > _INT64_MAX:  # a sum of many large counts: stays a valid attribute
                continue
            totals[name] = total
            attributes[ADDITIVE_ATTRIBUTES[name]] = (
                int(total) if name.endswith("tokens") else float(total)
            )
        elif name == "status":
            text = safe_str(getattr(value, "value", value)).upper()
            if text in _STATUS_VALUES:
                action.status = text
            else:
                RUNTIME.report_internal_error("record(status=...)", ValueError(value))
        elif name == "severity":
            text = safe_str(getattr(value, "value", value)).upper()
            if text in _SEVERITY_VALUES:
                attributes[semconv.OUTCOME_SEVERITY] = text
        elif name in _SCALAR_ATTRIBUTES:
            attributes[_SCALAR_ATTRIBUTES[name]] = _scalar(value, name)
        elif name == "tags":
            attributes[semconv.TAGS] = bounded_tags(value)
        elif name == "metadata":
            attributes.update(metadata_attributes(value))
    return {key: val for key, val in attributes.items() if val is not None}


def metadata_attributes(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``agent.metadata.<key>`` attributes; secrets redacted, values JSON-safe and size-limited."""
    limit = RUNTIME.max_value_length
    out: dict[str, Any] = {}
    try:
        items = list(metadata.items())
    except Exception as exc:
        RUNTIME.report_internal_error("metadata (not a mapping)", exc)
        return out
    if len(items) > MAX_METADATA_KEYS:
        RUNTIME.report_internal_error(
            f"metadata: more than {MAX_METADATA_KEYS} keys; the rest dropped",
            ValueError(f"{len(items)} metadata keys"),
        )
        items = items[:MAX_METADATA_KEYS]
    for key, value in items:
        key_text = truncate_text(safe_str(key), MAX_METADATA_KEY_LENGTH)
        if redaction.is_secret_key(key_text):
            out[semconv.METADATA_PREFIX + key_text] = redaction.REPLACEMENT
            continue
        out[semconv.METADATA_PREFIX + key_text] = to_attribute_value(value, limit)
    return out


_INT64_MAX = 2**63 - 1


def _finite_number(value: Any, name: str) -> float | int | None:
    """A number that fits an OpenTelemetry attribute and JSON: finite, ints within 64 bits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        RUNTIME.report_internal_error(f"record({name}=...) not a number", TypeError(type(value)))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not -_INT64_MAX <= value <= _INT64_MAX:
        RUNTIME.report_internal_error(f"record({name}=...) beyond 64 bits", OverflowError(name))
        return None
    return value


def _count(value: Any, name: str) -> float | int | None:
    """Tokens, cost, latency, retries: never negative (the schema's minimum is 0)."""
    number = _finite_number(value, name)
    if number is not None and number < 0:
        RUNTIME.report_internal_error(f"record({name}=...) negative", ValueError(name))
        return None
    return number


def _scalar(value: Any, name: str) -> Any:
    if name == "retry_count":
        number = _count(value, name)
        return int(number) if number is not None else None
    if name in ("quality_score", "confidence_score", "reward"):
        number = _finite_number(value, name)
        return float(number) if number is not None else None
    return truncate_text(safe_str(value), 256)


def thought(text: str) -> None:
    """Record an intermediate thought of the current agent as a span event.

    oa.thought("the tests look flaky; checking CI first")
    """
    action = CURRENT_ACTION.get()
    if action is None or not action.span.is_recording():
        return
    try:
        action.span.add_event(
            semconv.EVENT_THOUGHT,
            {semconv.THOUGHT_TEXT: truncate_text(safe_str(text), RUNTIME.max_value_length)},
        )
    except Exception as exc:
        RUNTIME.report_internal_error("thought()", exc)


def evaluation(
    name: str,
    *,
    score: float | None = None,
    label: str | None = None,
    explanation: str | None = None,
) -> None:
    """Record a ``gen_ai.evaluation.result`` event (a judge's score) on the current action.

    oa.evaluation("relevance", score=0.8, label="relevant")
    """
    action = CURRENT_ACTION.get()
    if action is None or not action.span.is_recording():
        return
    try:
        attributes: dict[str, Any] = {
            semconv.GEN_AI_EVALUATION_NAME: truncate_text(safe_str(name), 256)
        }
        number = None if score is None else _finite_number(score, "evaluation score")
        if number is not None:
            attributes[semconv.GEN_AI_EVALUATION_SCORE_VALUE] = float(number)
        if label is not None:
            attributes[semconv.GEN_AI_EVALUATION_SCORE_LABEL] = truncate_text(safe_str(label), 256)
        if explanation is not None:
            attributes[semconv.GEN_AI_EVALUATION_EXPLANATION] = truncate_text(
                safe_str(explanation), RUNTIME.max_value_length
            )
        action.span.add_event(semconv.EVENT_GEN_AI_EVALUATION_RESULT, attributes)
    except Exception as exc:  # never into agent code
        RUNTIME.report_internal_error("evaluation()", exc)


def current_event_id() -> str | None:
    """The OutcomeEvent id the current action will have (None outside an action).

    event_id = oa.current_event_id()   # later: oa.feedback(event_id, "positive")
    """
    action = CURRENT_ACTION.get()
    if action is None:
        return None
    ctx = action.span.get_span_context()
    if not ctx.is_valid:
        return None
    return event_id_for(ctx.trace_id, ctx.span_id)
