"""Feedback on agent actions: ``oa.feedback(...)`` and the FeedbackEvent v1 it produces.

    event_id = oa.current_event_id()              # inside the agent, or from an OutcomeEvent
    oa.feedback(event_id, "negative", comment="cited the wrong invoice")

A FeedbackEvent (CloudEvents 1.0 structured JSON, JSON Schema ``feedback-event-v1.json``)
goes to the Kafka topic ``agent-feedback`` when Kafka is configured, else to the local
feedback log next to the outcome log (``.otel-agents/feedback.jsonl``). Each call also makes
a short OpenTelemetry span in the judged action's trace, linked to its span and carrying a
``gen_ai.evaluation.result`` event, and adds one to the ``otel_agents.feedback`` counter.
"""

from __future__ import annotations

import collections
import datetime as _dt
import functools
import re
import threading
import uuid
from typing import Any

from opentelemetry import baggage, metrics, trace
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags

from otel_agents import semconv
from otel_agents._state import RUNTIME
from otel_agents.events.feedback import (
    FeedbackEvent,
)
from otel_agents.events.jsonsafe import safe_str, truncate_text
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export import feedback_routes
from otel_agents.ids import event_id_for
from otel_agents.semconv import FeedbackKind

_TEXT_LIMIT = 4096
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# Feedback sent by this process, for ``oa.learning_summary`` (bounded: a ring).
_SENT: collections.deque[FeedbackEvent] = collections.deque(maxlen=2000)
_sent_lock = threading.Lock()


def feedback(
    target: str | OutcomeEvent | SpanContext | trace.Span,
    kind: FeedbackKind | str,
    score: float | None = None,
    comment: str | None = None,
    correction: str | None = None,
    user: str | None = None,
    *,
    agent: str | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
) -> FeedbackEvent:
    """Send feedback on an agent action; returns the FeedbackEvent sent.

        oa.feedback(oa.current_event_id(), "positive", score=1.0, user="u-42")
        oa.feedback(event, "correction", correction="the total is 41.20, not 42.10")

    ``target`` is an OutcomeEvent id, an OutcomeEvent, a W3C ``traceparent``, a span or its
    SpanContext. ``correction`` holds the right answer (kind ``correction``) or the
    suggestion (kind ``suggestion``; ``comment`` works too). A bad ``kind`` or ``target``
    raises ``ValueError``; a broker or disk failure never raises (counted and logged).
    """
    event = build_feedback_event(
        target,
        kind,
        score,
        comment,
        correction,
        user,
        agent=agent,
        session_id=session_id,
        user_id=user_id,
    )
    publish(event)
    return event


def publish(event: FeedbackEvent) -> None:
    """Send a built FeedbackEvent: OTel span and counter, then the topic or the log.

    publish(build_feedback_event(event_id, "positive", origin="cli"))
    """
    with _sent_lock:
        _SENT.append(event)
    try:
        _emit_signal(event)
    except Exception as exc:
        RUNTIME.report_internal_error("feedback signal", exc)
    try:
        feedback_routes.send(event)
    except Exception as exc:
        RUNTIME.report_internal_error("feedback transport", exc)


def build_feedback_event(
    target: str | OutcomeEvent | SpanContext | trace.Span,
    kind: FeedbackKind | str,
    score: float | None = None,
    comment: str | None = None,
    correction: str | None = None,
    user: str | None = None,
    *,
    agent: str | None = None,
    origin: str = "api",
    session_id: str | None = None,
    user_id: str | None = None,
) -> FeedbackEvent:
    """The FeedbackEvent ``feedback()`` would send, without sending it."""
    kind_text = safe_str(getattr(kind, "value", kind)).lower()
    if kind_text not in {k.value for k in FeedbackKind}:
        raise ValueError(
            f"feedback kind {kind!r}: use one of positive, negative, correction, suggestion"
        )
    event_id, trace_id, span_id, target_agent = _resolve_target(target)
    if score is not None and (
        isinstance(score, bool)
        or not isinstance(score, (int, float))
        or score != score
        or score in (float("inf"), float("-inf"))
    ):
        raise ValueError(f"feedback score {score!r}: use a finite number or None")
    return FeedbackEvent(
        feedback_id=str(uuid.uuid4()),
        event_id=event_id,
        kind=kind_text,
        time=_now(),
        trace_id=trace_id,
        span_id=span_id,
        score=None if score is None else float(score),
        comment=_text(comment),
        correction=_text(correction),
        user=_text(user, 256),
        agent_name=agent or target_agent,
        origin=origin,
        session_id=_text(session_id or _run_id(target, "session_id", semconv.SESSION_ID), 256),
        user_id=_text(user_id or _run_id(target, "user_id", semconv.USER_ID), 256),
    )


def _run_id(target: Any, field: str, baggage_key: str) -> str | None:
    """The judged run's session/user id: from its OutcomeEvent, else the current baggage."""
    if isinstance(target, OutcomeEvent):
        value = target.data().get(field)
        if isinstance(value, str):
            return value
    value = baggage.get_baggage(baggage_key)
    return value if isinstance(value, str) and value else None


def sent_feedback(agent: str | None = None) -> list[FeedbackEvent]:
    """Feedback sent by this process (the last 2,000), oldest first."""
    with _sent_lock:
        events = list(_SENT)
    return [e for e in events if agent is None or e.agent_name == agent]


def _resolve_target(target: Any) -> tuple[str, str | None, str | None, str | None]:
    """(event_id, trace_id, span_id, agent name) of whatever the caller pointed at."""
    if isinstance(target, OutcomeEvent):
        return target.event_id, target.trace_id, target.span_id, target.agent_name or target.name
    if isinstance(target, trace.Span):
        agent = None
        attributes = getattr(target, "attributes", None)
        if attributes:
            value = attributes.get(semconv.GEN_AI_AGENT_NAME)
            agent = value if isinstance(value, str) else None
        event_id, trace_id, span_id, _ = _from_context(target.get_span_context())
        return event_id, trace_id, span_id, agent
    if isinstance(target, SpanContext):
        return _from_context(target)
    if isinstance(target, str) and target:
        match = _TRACEPARENT.match(target.strip().lower())
        if match:
            return _from_context(
                SpanContext(int(match.group(1), 16), int(match.group(2), 16), is_remote=True)
            )
        try:
            event_id = str(uuid.UUID(target.strip()))
        except ValueError:
            raise ValueError(
                f"feedback target {target!r} is not an OutcomeEvent id (a UUID) or a "
                "traceparent; get one with oa.current_event_id()"
            ) from None
        current = _current_action_span(event_id)
        if current is not None:
            return _resolve_target(current)
        known = _lookup_recent(event_id)
        if known is not None:
            return event_id, known.trace_id, known.span_id, known.agent_name or known.name
        return event_id, None, None, None
    raise ValueError(
        f"feedback target {target!r}: pass an OutcomeEvent id, an OutcomeEvent, a "
        "traceparent, a span or a SpanContext"
    )


def _from_context(ctx: SpanContext) -> tuple[str, str | None, str | None, str | None]:
    if not ctx.is_valid:
        raise ValueError("feedback target: the span context is not valid (no trace id)")
    event_id = event_id_for(ctx.trace_id, ctx.span_id)
    return event_id, f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}", None


def _current_action_span(event_id: str) -> trace.Span | None:
    """The running action's span, if ``event_id`` is its (feedback given mid-action)."""
    from otel_agents.instrument.action import CURRENT_ACTION

    action = CURRENT_ACTION.get()
    if action is None:
        return None
    ctx = action.span.get_span_context()
    if ctx.is_valid and event_id_for(ctx.trace_id, ctx.span_id) == event_id:
        return action.span
    return None


def _lookup_recent(event_id: str) -> OutcomeEvent | None:
    # In-process only: the outcome may be in this process's recent-events buffer.
    from otel_agents.export.configure import get_telemetry

    telemetry = get_telemetry()
    if telemetry is None:
        return None
    telemetry.processor.drain()
    for event in reversed(telemetry.recent.query(count=1_000_000)):
        if event.event_id == event_id:
            return event
    return None


def _emit_signal(event: FeedbackEvent) -> None:
    """A short span in the judged action's trace, linked to its span, plus the counter."""
    attributes: dict[str, Any] = {
        semconv.FEEDBACK_ID: event.feedback_id,
        semconv.FEEDBACK_KIND: event.kind,
        semconv.FEEDBACK_EVENT_ID: event.event_id,
    }
    if event.agent_name:
        attributes[semconv.GEN_AI_AGENT_NAME] = event.agent_name
    evaluation: dict[str, Any] = {
        semconv.GEN_AI_EVALUATION_NAME: semconv.EVALUATION_USER_FEEDBACK,
        semconv.GEN_AI_EVALUATION_SCORE_LABEL: event.kind,
    }
    if event.score is not None:
        evaluation[semconv.GEN_AI_EVALUATION_SCORE_VALUE] = event.score
    explanation = event.comment or event.correction
    if explanation:
        evaluation[semconv.GEN_AI_EVALUATION_EXPLANATION] = explanation
    context = None
    links: list[Link] = []
    if event.trace_id is not None and event.span_id is not None:
        original = SpanContext(
            int(event.trace_id, 16),
            int(event.span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
        # A child of the judged span, so trace views show the feedback inside its trace;
        # the link names the judged span explicitly for backends that list links.
        context = trace.set_span_in_context(trace.NonRecordingSpan(original))
        links.append(Link(original))
    # Never gen_ai.operation.name here: a feedback span must not become an OutcomeEvent.
    span = RUNTIME.tracer.start_span(
        f"feedback {event.kind}",
        context=context,
        kind=SpanKind.INTERNAL,
        links=links,
        attributes=attributes,
    )
    span.add_event(semconv.EVENT_GEN_AI_EVALUATION_RESULT, evaluation)
    span.end()
    _counter().add(
        1,
        {
            semconv.GEN_AI_AGENT_NAME: event.agent_name or "unknown",
            semconv.FEEDBACK_KIND: event.kind,
        },
    )


@functools.lru_cache(maxsize=1)
def _counter() -> metrics.Counter:
    meter = metrics.get_meter(semconv.INSTRUMENTATION_SCOPE)
    return meter.create_counter(
        semconv.METRIC_FEEDBACK,
        unit="{feedback}",
        description="Feedback on agent actions, by agent and kind",
    )


def _now() -> str:
    return _dt.datetime.now(tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any, limit: int = _TEXT_LIMIT) -> str | None:
    return None if value is None else truncate_text(safe_str(value), limit)
