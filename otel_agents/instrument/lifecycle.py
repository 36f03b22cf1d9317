"""One call lifecycle for every decorated callable: begin, ok, error, written once.

``begin`` decides whether to trace at all (the no-SDK bypass), opens the span and builds
what pre-hooks see; ``succeed``/``fail`` end the span and build what post-hooks see. The
four shells (function, coroutine, generator, async generator) differ only in ``await``
and ``yield``, so hooks, bypass and outcomes hold for all of them by construction.
Telemetry failures are counted and logged, never raised into agent code.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from opentelemetry.trace import SpanKind

from otel_agents import _otel_private, semconv
from otel_agents._state import RUNTIME
from otel_agents.events.jsonsafe import dumps_text, json_safe
from otel_agents.instrument import redaction
from otel_agents.instrument.action import (
    CURRENT_ACTION,
    Action,
    attach,
    baggage_context,
    detach,
    elapsed_ms_since_start,
    end_error,
    end_ok,
    inherited_ids,
    with_ids,
)
from otel_agents.instrument.hooks import ActionCall, run_hooks_async, run_hooks_sync
from otel_agents.instrument.recording import RESULT_FIELDS, outcome_attributes
from otel_agents.instrument.spec import SPEC_ATTRIBUTE, ActionSpec
from otel_agents.semconv import ActionKind

F = TypeVar("F", bound=Callable[..., Any])
_INTERNAL = SpanKind.INTERNAL
_BUILTIN_RESULT_TYPES = (str, bytes, int, float, bool, list, tuple, set, type(None))
_Tokens = Any
_API_GLOBALS = _otel_private.TRACE_API_GLOBALS
_PROVIDER_KEY = _otel_private.TRACER_PROVIDER_KEY

# --- per-call helpers ---------------------------------------------------------------


def start_action(spec: ActionSpec) -> Action:
    """Open the span of one call; the caller makes it current and ends it."""
    parent = CURRENT_ACTION.get()
    workflow_id, workflow_name, correlation_id = inherited_ids(parent)
    if spec.kind is not ActionKind.WORKFLOW:
        span = RUNTIME.tracer.start_span(
            spec.span_name,
            kind=_INTERNAL,
            attributes=with_ids(spec.attributes, workflow_id, workflow_name, correlation_id),
        )
        return Action(span, spec.kind, parent, workflow_id, workflow_name, correlation_id)
    return _start_workflow(spec, parent, correlation_id)


def _start_workflow(spec: ActionSpec, parent: Action | None, correlation_id: str | None) -> Action:
    workflow_id = spec.attributes.get(semconv.WORKFLOW_ID)
    correlation_id = spec.attributes.get(semconv.CORRELATION_ID) or correlation_id
    span = RUNTIME.tracer.start_span(
        spec.span_name,
        kind=_INTERNAL,
        attributes=with_ids(spec.attributes, workflow_id, None, correlation_id),
    )
    if workflow_id is None:
        # Derived from the span's own random id: no syscall, unique per run, and the id
        # alone leads a reader to the workflow's span.
        ctx = span.get_span_context()
        if ctx.is_valid:
            workflow_id = f"{ctx.span_id:016x}"
            if span.is_recording():
                span.set_attribute(semconv.WORKFLOW_ID, workflow_id)
    action = Action(span, ActionKind.WORKFLOW, parent, workflow_id, spec.name, correlation_id)
    action.base_context = baggage_context(workflow_id, spec.name, correlation_id)
    return action


def _captures_content(spec: ActionSpec) -> bool:
    return RUNTIME.capture_content if spec.capture_content is None else spec.capture_content


def _capture_inputs(
    spec: ActionSpec, action: Action, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    if not _captures_content(spec):
        return
    try:
        positional = args[1:] if spec.skip_first_argument else args
        payload: Any = {"args": positional, "kwargs": kwargs} if kwargs else list(positional)
        text = redaction.redact_text(
            dumps_text(json_safe(payload, RUNTIME.max_value_length), RUNTIME.max_value_length)
        )
        key = semconv.GEN_AI_TOOL_CALL_ARGUMENTS if spec.kind is ActionKind.TOOL else semconv.INPUT
        action.span.set_attribute(key, text)
    except Exception as exc:
        RUNTIME.report_internal_error("capturing inputs", exc)


def _result_attributes(spec: ActionSpec, action: Action, result: Any) -> dict[str, Any] | None:
    """Outcome fields found in the return value (hook, dict keys or object attributes)."""
    if not action.span.is_recording():
        return None
    try:
        fields: Mapping[str, Any] | None = None
        if spec.outcome is not None:
            fields = spec.outcome(result)
        elif type(result) is dict:
            if not RESULT_FIELDS.isdisjoint(result):
                fields = {key: result[key] for key in RESULT_FIELDS.intersection(result)}
        elif not isinstance(result, _BUILTIN_RESULT_TYPES):
            members = getattr(result, "__dict__", None)
            if members:
                keys = RESULT_FIELDS.intersection(members)
                if keys:
                    fields = {key: members[key] for key in keys}
        attributes = outcome_attributes(action, fields) if fields else None
        if _captures_content(spec):
            attributes = dict(attributes or {})
            key = (
                semconv.GEN_AI_TOOL_CALL_RESULT if spec.kind is ActionKind.TOOL else semconv.OUTPUT
            )
            limit = RUNTIME.max_value_length
            attributes[key] = redaction.redact_text(dumps_text(json_safe(result, limit), limit))
        return attributes
    except Exception as exc:
        RUNTIME.report_internal_error(f"reading the outcome of {spec.name}", exc)
        return None


# --- the lifecycle, once ------------------------------------------------------------


def begin(spec: ActionSpec) -> Action | None:
    """Open the call's span, or None when telemetry should stay out of the way.

    The function and coroutine shells check the bypass inline first (no SDK and no hooks: not
    even a no-op span); it is repeated here so the rule reads in one place.
    """
    if RUNTIME.bypass_possible and _API_GLOBALS[_PROVIDER_KEY] is None:
        return None
    action = start_action(spec)
    span = action.span
    if (
        not span.is_recording()
        and not span.get_span_context().is_valid
        and not RUNTIME.hooks_active
    ):
        span.end()
        return None  # a no-op provider: stay out of the way
    return action


def enter(
    spec: ActionSpec, action: Action, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ActionCall | None:
    """Inside the span, before the body first runs: inputs, then what pre-hooks see."""
    _capture_inputs(spec, action, args, kwargs)
    if RUNTIME.pre_hooks:
        return ActionCall(spec.kind, spec.name, args, kwargs, action.span)
    return None


def succeed(
    spec: ActionSpec, action: Action, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> ActionCall | None:
    """End the span as returned; what post-hooks see, if there are any."""
    if not action.ended:
        end_ok(action, result, _result_attributes(spec, action, result))
    return _post_call(action, spec, args, kwargs, result, None)


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
    return _post_call(action, spec, args, kwargs, None, exc)


def _post_call(
    action: Action,
    spec: ActionSpec,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    error: BaseException | None,
) -> ActionCall | None:
    if not RUNTIME.post_hooks:
        return None
    call = ActionCall(spec.kind, spec.name, args, kwargs, action.span)
    call.result = result
    call.error = error
    call.status = action.status  # the final status, set when the action ended
    return call


def note_first_item(action: Action) -> None:
    """A stream's latency is to its first item (the work the caller waits for)."""
    latency = elapsed_ms_since_start(action.span)
    if latency is not None and action.span.is_recording():
        action.span.set_attribute(semconv.OUTCOME_LATENCY_MS, latency)


# --- the four shells ------------------------------------------------------------------


def wrap_callable(fn: F, spec: ActionSpec) -> F:
    """Wrap ``fn`` (sync, async, generator or async generator) in an action span."""
    if getattr(fn, SPEC_ATTRIBUTE, None) is not None:
        return fn  # already instrumented: never two spans for one call
    if inspect.isasyncgenfunction(fn):
        wrapper = _wrap_async_generator(fn, spec)
    elif inspect.iscoroutinefunction(fn):
        wrapper = _wrap_coroutine(fn, spec)
    elif inspect.isgeneratorfunction(fn):
        wrapper = _wrap_generator(fn, spec)
    else:
        wrapper = _wrap_function(fn, spec)
    setattr(wrapper, SPEC_ATTRIBUTE, spec)
    return wrapper  # type: ignore[return-value]


def _wrap_function(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.bypass_possible and _API_GLOBALS[_PROVIDER_KEY] is None:
            return fn(*args, **kwargs)  # the bypass of begin(), inline: the hottest path
        action = begin(spec)
        if action is None:
            return fn(*args, **kwargs)
        tokens = attach(action.span, action)
        try:
            call = enter(spec, action, args, kwargs)
            if call is not None:
                run_hooks_sync(RUNTIME.pre_hooks, call)
            result = fn(*args, **kwargs)
        except BaseException as exc:
            call = fail(spec, action, args, kwargs, exc)
            if call is not None:
                run_hooks_sync(RUNTIME.post_hooks, call)
            raise
        finally:
            detach(tokens)
        call = succeed(spec, action, args, kwargs, result)
        if call is not None:
            run_hooks_sync(RUNTIME.post_hooks, call)
        return result

    return wrapper


def _wrap_coroutine(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.bypass_possible and _API_GLOBALS[_PROVIDER_KEY] is None:
            return await fn(*args, **kwargs)
        action = begin(spec)
        if action is None:
            return await fn(*args, **kwargs)
        tokens = attach(action.span, action)
        try:
            call = enter(spec, action, args, kwargs)
            if call is not None:
                await run_hooks_async(RUNTIME.pre_hooks, call)
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            call = fail(spec, action, args, kwargs, exc)
            if call is not None:
                await run_hooks_async(RUNTIME.post_hooks, call)
            raise
        finally:
            detach(tokens)
        call = succeed(spec, action, args, kwargs, result)
        if call is not None:
            await run_hooks_async(RUNTIME.post_hooks, call)
        return result

    return wrapper


def _wrap_generator(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    # The span covers the whole iteration, but is current only while the generator's
    # body runs: between yields the consumer's own context is in force.
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        action = begin(spec)
        if action is None:
            return (yield from fn(*args, **kwargs))
        result: Any = None
        error: BaseException | None = None
        tokens = attach(action.span, action)
        try:
            call = enter(spec, action, args, kwargs)
            if call is not None:
                run_hooks_sync(RUNTIME.pre_hooks, call)
            generator = fn(*args, **kwargs)
        except BaseException as exc:
            error = exc
            raise
        finally:
            detach(tokens)
            if error is not None:
                end_sync(spec, action, args, kwargs, None, error)
        to_send: Any = None
        to_throw: BaseException | None = None
        first = True
        try:
            while True:
                tokens = attach(action.span, action)
                try:
                    if to_throw is not None:
                        pending, to_throw = to_throw, None
                        item = generator.throw(pending)
                    else:
                        item = generator.send(to_send)
                except StopIteration as stop:
                    result = stop.value
                    return result
                finally:
                    detach(tokens)
                if first:
                    first = False
                    note_first_item(action)
                try:
                    to_send = yield item
                except GeneratorExit:
                    # The consumer stopped early: close the body inside its own context.
                    tokens = attach(action.span, action)
                    try:
                        generator.close()
                    finally:
                        detach(tokens)
                    raise
                except BaseException as exc:
                    to_throw = exc
        except GeneratorExit:
            raise  # stopped early is not a failure
        except BaseException as exc:
            error = exc
            raise
        finally:
            end_sync(spec, action, args, kwargs, result, error)

    return wrapper


def end_sync(
    spec: ActionSpec,
    action: Action,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    error: BaseException | None,
) -> None:
    """End the action once (ok, or error when ``error`` is set) and run post-hooks."""
    if action.ended:
        return
    if error is None:
        call = succeed(spec, action, args, kwargs, result)
    else:
        call = fail(spec, action, args, kwargs, error)
    if call is not None:
        run_hooks_sync(RUNTIME.post_hooks, call)


def _wrap_async_generator(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        action = begin(spec)
        generator: Any = None
        error: BaseException | None = None
        tokens = attach(action.span, action) if action is not None else None
        try:
            if action is not None:
                call = enter(spec, action, args, kwargs)
                if call is not None:
                    await run_hooks_async(RUNTIME.pre_hooks, call)
            generator = fn(*args, **kwargs)
        except BaseException as exc:
            error = exc
            raise
        finally:
            if tokens is not None:
                detach(tokens)
            if error is not None and action is not None:
                await end_async(spec, action, args, kwargs, None, error)
        to_send: Any = None
        to_throw: BaseException | None = None
        first = True
        try:
            while True:
                tokens = attach(action.span, action) if action is not None else None
                try:
                    if to_throw is not None:
                        pending, to_throw = to_throw, None
                        item = await generator.athrow(pending)
                    else:
                        item = await generator.asend(to_send)
                except StopAsyncIteration:
                    return
                finally:
                    if tokens is not None:
                        detach(tokens)
                if first and action is not None:
                    first = False
                    note_first_item(action)
                try:
                    to_send = yield item
                except GeneratorExit:
                    tokens = attach(action.span, action) if action is not None else None
                    try:
                        await generator.aclose()
                    finally:
                        if tokens is not None:
                            detach(tokens)
                    raise
                except BaseException as exc:
                    to_throw = exc
        except GeneratorExit:
            raise  # stopped early is not a failure
        except BaseException as exc:
            error = exc
            raise
        finally:
            if action is not None:
                await end_async(spec, action, args, kwargs, None, error)

    return wrapper


async def end_async(
    spec: ActionSpec,
    action: Action,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    error: BaseException | None,
) -> None:
    """``end_sync`` for async shells: post-hooks are awaited."""
    if action.ended:
        return
    if error is None:
        call = succeed(spec, action, args, kwargs, result)
    else:
        call = fail(spec, action, args, kwargs, error)
    if call is not None:
        await run_hooks_async(RUNTIME.post_hooks, call)
