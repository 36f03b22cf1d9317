"""The one seam between auto-instrumentation and the decorators' call lifecycle.

Auto-instrumentation opens and ends action spans itself (names chosen per call, spans
handed over to streamed results), but every span must be the very span a decorator
makes: same attributes, hooks, content capture and outcome. So the shells in
``_traced`` use only these five steps; nothing else in ``auto`` reaches into
``otel_agents.instrument``.
"""

from __future__ import annotations

from typing import Any

from otel_agents import instrument as _instrument
from otel_agents._action import CURRENT_ACTION, Action, attach, detach, end_error, end_ok
from otel_agents._runtime import RUNTIME
from otel_agents.hooks import ActionCall, run_hooks_async, run_hooks_sync
from otel_agents.instrument import ActionSpec, make_spec

__all__ = [
    "CURRENT_ACTION",
    "RUNTIME",
    "Action",
    "ActionCall",
    "ActionSpec",
    "attach",
    "begin",
    "detach",
    "enter",
    "fail",
    "make_spec",
    "run_hooks_async",
    "run_hooks_sync",
    "succeed",
]


def begin(spec: ActionSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Action | None:
    """Open the call's span, or None when telemetry should stay out of the way."""
    from opentelemetry import trace

    if RUNTIME.bypass_possible and trace._TRACER_PROVIDER is None:
        return None
    action = _instrument.start_action(spec)
    span = action.span
    if (
        not span.is_recording()
        and not span.get_span_context().is_valid
        and not RUNTIME.hooks_active
    ):
        span.end()
        return None
    return action


def enter(
    spec: ActionSpec, action: Action, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ActionCall | None:
    """Inside the span, before the body first runs: inputs, then what pre-hooks see."""
    _instrument._capture_inputs(spec, action, args, kwargs)
    if RUNTIME.pre_hooks:
        return ActionCall(spec.kind, spec.name, args, kwargs, action.span)
    return None


def succeed(
    spec: ActionSpec, action: Action, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> ActionCall | None:
    """End the span as returned; what post-hooks see, if there are any."""
    if not action.ended:
        end_ok(action, result, _instrument._result_attributes(spec, action, result))
    if not RUNTIME.post_hooks:
        return None
    return _instrument._post_call(action, spec, args, kwargs, result, None)


def fail(
    spec: ActionSpec,
    action: Action,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    exc: BaseException,
) -> ActionCall | None:
    """End the span as raised; what post-hooks see, if there are any."""
    if not action.ended:
        end_error(action, exc)
    if not RUNTIME.post_hooks:
        return None
    return _instrument._post_call(action, spec, args, kwargs, None, exc)
