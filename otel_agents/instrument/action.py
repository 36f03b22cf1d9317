"""One in-flight agent action: its span, outcome state and how it ends.

The decorators create an ``Action`` per call and finish it with ``end_ok`` or
``end_error``. Everything here runs on the agent's own thread, so it is kept lean:
attributes are gathered into one dict and set with one ``set_attributes`` call.
"""

from __future__ import annotations

import contextvars
import sys
import time
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode

from otel_agents import _otel_private, semconv
from otel_agents._state import RUNTIME
from otel_agents.events.jsonsafe import safe_str
from otel_agents.semconv import ActionKind

_SUCCESS = semconv.Status.SUCCESS.value
_FAILURE = semconv.Status.FAILURE.value
_PARTIAL = semconv.Status.PARTIAL.value
_TIMEOUT = semconv.Status.TIMEOUT.value
_CANCELLED = semconv.Status.CANCELLED.value
_SEVERITY_OF = {status.value: sev.value for status, sev in semconv.DEFAULT_SEVERITY.items()}
_CRITICAL = semconv.Severity.CRITICAL.value
_CANCELLATION = (KeyboardInterrupt, GeneratorExit)

# Additive fields: several record() calls within one action add up (one LLM call each).
ADDITIVE_ATTRIBUTES = {
    "input_tokens": semconv.GEN_AI_USAGE_INPUT_TOKENS,
    "output_tokens": semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    "total_tokens": semconv.OUTCOME_TOTAL_TOKENS,
    "cost_usd": semconv.OUTCOME_COST_USD,
    "llm_latency_ms": semconv.OUTCOME_LLM_LATENCY_MS,
}


class Action:
    """State of one decorated call (or ``with workflow(...)`` block) while it runs."""

    __slots__ = (
        "base_context",
        "correlation_id",
        "ended",
        "kind",
        "parent",
        "span",
        "status",
        "steps_failed",
        "steps_total",
        "totals",
        "view_of",
        "workflow",
        "workflow_id",
        "workflow_name",
    )

    def __init__(
        self,
        span: Span,
        kind: ActionKind,
        parent: Action | None,
        workflow_id: str | None,
        workflow_name: str | None,
        correlation_id: str | None,
    ) -> None:
        if parent is not None and parent.view_of is not None:
            parent = parent.view_of  # steps and aggregation belong to the real action
        self.span = span
        self.kind = kind
        self.parent = parent
        self.workflow: Action | None = (
            parent
            if parent is not None and parent.kind is ActionKind.WORKFLOW
            else (parent.workflow if parent is not None else None)
        )
        self.workflow_id = workflow_id
        self.workflow_name = workflow_name
        self.correlation_id = correlation_id
        self.status: str | None = None  # set by record(status=...), then the final one
        self.steps_total = 0
        self.steps_failed = 0
        self.totals: dict[str, float] | None = None
        self.ended = False
        # Workflows carry their ids to children as baggage in this context.
        self.base_context: otel_context.Context | None = None
        # Set on a stand-in made by ``correlate()``: the action it stands for.
        self.view_of: Action | None = None


CURRENT_ACTION: contextvars.ContextVar[Action | None] = contextvars.ContextVar(
    "otel_agents_current_action", default=None
)


def inherited_ids(parent: Action | None) -> tuple[str | None, str | None, str | None]:
    """Workflow id, workflow name and correlation id a new action inherits.

    In-process the parent action has them; across a process boundary they arrive as
    W3C baggage (propagated with the trace context).
    """
    if parent is not None:
        return parent.workflow_id, parent.workflow_name, parent.correlation_id
    entries = _otel_private.baggage_entries()
    if not entries:
        return None, None, None
    return (
        _str_or_none(entries.get(semconv.BAGGAGE_WORKFLOW_ID)),
        _str_or_none(entries.get(semconv.BAGGAGE_WORKFLOW_NAME)),
        _str_or_none(entries.get(semconv.BAGGAGE_CORRELATION_ID)),
    )


def baggage_context(
    workflow_id: str | None, workflow_name: str | None, correlation_id: str | None
) -> otel_context.Context:
    """The current context plus our ids as W3C baggage (they cross process boundaries)."""
    from opentelemetry import baggage  # loaded by the first workflow, not at start-up

    ctx = otel_context.get_current()
    if workflow_id is not None:
        ctx = baggage.set_baggage(semconv.BAGGAGE_WORKFLOW_ID, workflow_id, ctx)
    if workflow_name is not None:
        ctx = baggage.set_baggage(semconv.BAGGAGE_WORKFLOW_NAME, workflow_name, ctx)
    if correlation_id is not None:
        ctx = baggage.set_baggage(semconv.BAGGAGE_CORRELATION_ID, correlation_id, ctx)
    return ctx


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def with_ids(
    static: dict[str, Any],
    workflow_id: str | None,
    workflow_name: str | None,
    correlation_id: str | None,
) -> dict[str, Any]:
    """The start attributes: static ones plus inherited ids (samplers read them at start)."""
    if workflow_id is None and correlation_id is None:
        return static
    # Inherited ids are strings: the copy stays clean (see clean_attributes) if they are.
    clean = (
        type(static) is _otel_private.CleanAttributes
        and (workflow_id is None or type(workflow_id) is str)
        and (workflow_name is None or type(workflow_name) is str)
        and (correlation_id is None or type(correlation_id) is str)
    )
    attributes = _otel_private.CleanAttributes(static) if clean else dict(static)
    if workflow_id is not None:
        attributes[semconv.WORKFLOW_ID] = workflow_id
        if workflow_name is not None and semconv.GEN_AI_WORKFLOW_NAME not in attributes:
            attributes[semconv.GEN_AI_WORKFLOW_NAME] = workflow_name
    if correlation_id is not None:
        attributes[semconv.CORRELATION_ID] = correlation_id
    return attributes


def attach(span: Span, action: Action) -> tuple[object, contextvars.Token[Action | None]]:
    """Make ``span`` and ``action`` current; returns tokens for ``detach``."""
    ctx = trace.set_span_in_context(span, action.base_context)
    return otel_context.attach(ctx), CURRENT_ACTION.set(action)


def detach(tokens: tuple[object, contextvars.Token[Action | None]]) -> None:
    CURRENT_ACTION.reset(tokens[1])
    otel_context.detach(tokens[0])  # type: ignore[arg-type]


def end_ok(action: Action, result: Any, outcome_attributes: dict[str, Any] | None) -> None:
    """Finish a call that returned: SUCCESS unless told otherwise or steps failed."""
    span = action.span
    try:
        if span.is_recording():
            status = action.status
            if status is None:
                status = _PARTIAL if action.steps_failed else _SUCCESS
            attributes: dict[str, Any] = {
                semconv.OUTCOME_STATUS: status,
                semconv.OUTCOME_SEVERITY: _SEVERITY_OF.get(status, "INFO"),
            }
            if action.kind is ActionKind.WORKFLOW:
                attributes[semconv.OUTCOME_STEPS_TOTAL] = action.steps_total
                attributes[semconv.OUTCOME_STEPS_FAILED] = action.steps_failed
            if outcome_attributes:
                attributes.update(outcome_attributes)
            span.set_attributes(attributes)
            action.status = status
            _count_step(action, status)
    except Exception as exc:
        RUNTIME.report_internal_error("ending a span", exc)
    finally:
        action.ended = True
        span.end()


def end_error(action: Action, exc: BaseException) -> None:
    """Finish a call that raised: FAILURE, TIMEOUT or CANCELLED, per the exception."""
    span = action.span
    try:
        if span.is_recording():
            _record_error(action, exc)
    except Exception as internal:
        RUNTIME.report_internal_error("recording an exception", internal)
    finally:
        action.ended = True
        span.end()


def _record_error(action: Action, exc: BaseException) -> None:
    span = action.span
    # asyncio is not imported for this (~20 ms at start-up): an asyncio exception can
    # only exist once the application itself has imported asyncio.
    asyncio = sys.modules.get("asyncio")
    if isinstance(exc, _CANCELLATION) or (
        asyncio is not None and isinstance(exc, asyncio.CancelledError)
    ):
        status = _CANCELLED
    elif isinstance(exc, TimeoutError) or (
        asyncio is not None and isinstance(exc, asyncio.TimeoutError)  # not builtin in 3.10
    ):
        status = _TIMEOUT
    else:
        status = _FAILURE
    severity = _SEVERITY_OF[status]
    if RUNTIME.critical_exceptions and isinstance(exc, RUNTIME.critical_exceptions):
        severity = _CRITICAL
    # First, so nothing below (a broken __str__, a full span) can leave it SUCCESS.
    action.status = status
    error_type = qualified_name(type(exc))
    message = safe_str(exc)
    attributes: dict[str, Any] = {
        semconv.OUTCOME_STATUS: status,
        semconv.OUTCOME_SEVERITY: severity,
        semconv.ERROR_TYPE: error_type,
    }
    if message:
        attributes[semconv.OUTCOME_ERROR_MESSAGE] = message[: RUNTIME.max_value_length]
    if action.kind is ActionKind.WORKFLOW:
        attributes[semconv.OUTCOME_STEPS_TOTAL] = action.steps_total
        attributes[semconv.OUTCOME_STEPS_FAILED] = action.steps_failed
    span.set_attributes(attributes)
    if status != _CANCELLED:
        span.set_status(StatusCode.ERROR, f"{error_type}: {message}" if message else error_type)
        try:
            span.record_exception(exc)
        except Exception:  # the SDK calls str(exc) itself
            span.add_event(
                semconv.EVENT_EXCEPTION,
                {semconv.EXCEPTION_TYPE: error_type, semconv.EXCEPTION_MESSAGE: message},
            )
    _count_step(action, status)


def _count_step(action: Action, status: str) -> None:
    parent = action.parent
    if parent is not None and parent.kind is ActionKind.WORKFLOW:
        parent.steps_total += 1
        if status not in (_SUCCESS, _PARTIAL):
            parent.steps_failed += 1


def qualified_name(cls: type) -> str:
    """Low-cardinality ``error.type``: the exception's qualified class name."""
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def elapsed_ms_since_start(span: Span) -> float | None:
    start: int | None = getattr(span, "start_time", None)
    if start is None:
        return None
    return (time.time_ns() - start) / 1e6
