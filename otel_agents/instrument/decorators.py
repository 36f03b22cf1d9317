"""The decorators: ``@agent``, ``@tool`` and the function form of ``@workflow``.

Everything static about a decorated function (span name, identifying attributes) is
computed once, at decoration time; the per-call path only opens the span, makes it
current, runs the function and sets what varies. Telemetry failures are counted and
logged, never raised into agent code.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

from opentelemetry import trace as _trace_api
from opentelemetry.trace import SpanKind

from otel_agents import semconv
from otel_agents._state import RUNTIME
from otel_agents.errors import ConfigurationError
from otel_agents.events.jsonsafe import dumps_text, json_safe
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
from otel_agents.semconv import ActionKind

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)
OutcomeHook = Callable[[Any], Mapping[str, Any] | None]

SPEC_ATTRIBUTE = "__otel_agents_spec__"
_INTERNAL = SpanKind.INTERNAL
_BUILTIN_RESULT_TYPES = (str, bytes, int, float, bool, list, tuple, set, type(None))


class ActionSpec:
    """What a decorator knows at decoration time; shared by every call."""

    __slots__ = (
        "attributes",
        "capture_content",
        "kind",
        "name",
        "outcome",
        "skip_first_argument",
        "span_name",
    )

    def __init__(
        self,
        kind: ActionKind,
        name: str,
        attributes: dict[str, Any],
        outcome: OutcomeHook | None,
        capture_content: bool | None,
        skip_first_argument: bool,
    ) -> None:
        self.kind = kind
        self.name = name
        self.span_name = f"{semconv.OPERATION_BY_KIND[kind]} {name}"
        self.attributes = attributes
        self.outcome = outcome
        self.capture_content = capture_content
        self.skip_first_argument = skip_first_argument


def make_spec(
    kind: ActionKind,
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    action_type: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    outcome: OutcomeHook | None = None,
    capture_content: bool | None = None,
    agent_id: str | None = None,
    version: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    tool_type: str | None = None,
    owner_name: str | None = None,
) -> ActionSpec:
    """Build the static part of an action's span from the decorator's arguments."""
    resolved = name or owner_name or getattr(fn, "__name__", None) or "unnamed"
    if description is None:
        doc = inspect.getdoc(fn)
        description = doc.strip().splitlines()[0][:256] if doc else None
    attributes: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_BY_KIND[kind],
        semconv.NAME_ATTRIBUTE_BY_KIND[kind]: resolved,
        semconv.ACTION_TYPE: action_type or kind.value,
    }
    if kind is ActionKind.AGENT:
        _put(attributes, semconv.GEN_AI_AGENT_ID, agent_id)
        _put(attributes, semconv.GEN_AI_AGENT_DESCRIPTION, description)
        _put(attributes, semconv.GEN_AI_AGENT_VERSION, version)
    elif kind is ActionKind.TOOL:
        attributes[semconv.GEN_AI_TOOL_TYPE] = tool_type or "function"
        _put(attributes, semconv.GEN_AI_TOOL_DESCRIPTION, description)
    _put(attributes, semconv.GEN_AI_REQUEST_MODEL, model)
    _put(attributes, semconv.GEN_AI_PROVIDER_NAME, provider)
    if tags:
        attributes[semconv.TAGS] = tuple(str(tag) for tag in tags)
    return ActionSpec(kind, resolved, attributes, outcome, capture_content, _takes_self_first(fn))


def _put(attributes: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        attributes[key] = value


def _takes_self_first(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("self", "cls")


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
        text = RUNTIME.redact(
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
            attributes[key] = RUNTIME.redact(dumps_text(json_safe(result, limit), limit))
        return attributes
    except Exception as exc:
        RUNTIME.report_internal_error(f"reading the outcome of {spec.name}", exc)
        return None


def _post_call(
    action: Action,
    spec: ActionSpec,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    error: BaseException | None,
) -> ActionCall:
    call = ActionCall(spec.kind, spec.name, args, kwargs, action.span)
    call.result = result
    call.error = error
    call.status = action.status  # the final status, set when the action ended
    return call


# --- wrappers, one per kind of callable ---------------------------------------------


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
        if RUNTIME.bypass_possible and _trace_api._TRACER_PROVIDER is None:
            return fn(*args, **kwargs)  # no SDK and no hooks: stay out of the way
        action = start_action(spec)
        span = action.span
        if (
            not span.is_recording()
            and not span.get_span_context().is_valid
            and not RUNTIME.hooks_active
        ):
            span.end()
            return fn(*args, **kwargs)  # no SDK configured: stay out of the way
        tokens = attach(span, action)
        try:
            if RUNTIME.pre_hooks:
                run_hooks_sync(
                    RUNTIME.pre_hooks, ActionCall(spec.kind, spec.name, args, kwargs, span)
                )
            _capture_inputs(spec, action, args, kwargs)
            result = fn(*args, **kwargs)
        except BaseException as exc:
            end_error(action, exc)
            if RUNTIME.post_hooks:
                run_hooks_sync(
                    RUNTIME.post_hooks, _post_call(action, spec, args, kwargs, None, exc)
                )
            raise
        finally:
            detach(tokens)
        end_ok(action, result, _result_attributes(spec, action, result))
        if RUNTIME.post_hooks:
            run_hooks_sync(RUNTIME.post_hooks, _post_call(action, spec, args, kwargs, result, None))
        return result

    return wrapper


def _wrap_coroutine(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if RUNTIME.bypass_possible and _trace_api._TRACER_PROVIDER is None:
            return await fn(*args, **kwargs)
        action = start_action(spec)
        span = action.span
        if (
            not span.is_recording()
            and not span.get_span_context().is_valid
            and not RUNTIME.hooks_active
        ):
            span.end()
            return await fn(*args, **kwargs)
        tokens = attach(span, action)
        try:
            if RUNTIME.pre_hooks:
                await run_hooks_async(
                    RUNTIME.pre_hooks, ActionCall(spec.kind, spec.name, args, kwargs, span)
                )
            _capture_inputs(spec, action, args, kwargs)
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            end_error(action, exc)
            if RUNTIME.post_hooks:
                await run_hooks_async(
                    RUNTIME.post_hooks, _post_call(action, spec, args, kwargs, None, exc)
                )
            raise
        finally:
            detach(tokens)
        end_ok(action, result, _result_attributes(spec, action, result))
        if RUNTIME.post_hooks:
            await run_hooks_async(
                RUNTIME.post_hooks, _post_call(action, spec, args, kwargs, result, None)
            )
        return result

    return wrapper


def _note_first_item(action: Action) -> None:
    latency = elapsed_ms_since_start(action.span)
    if latency is not None and action.span.is_recording():
        action.span.set_attribute(semconv.OUTCOME_LATENCY_MS, latency)


def _wrap_generator(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    # The span covers the whole iteration, but is current only while the generator's
    # body runs: between yields the consumer's own context is in force.
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        action = start_action(spec)
        tokens = attach(action.span, action)
        try:
            _capture_inputs(spec, action, args, kwargs)
            generator = fn(*args, **kwargs)
        except BaseException as exc:
            end_error(action, exc)
            raise
        finally:
            detach(tokens)
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
                    end_ok(action, stop.value, _result_attributes(spec, action, stop.value))
                    return stop.value
                except BaseException as exc:
                    end_error(action, exc)
                    raise
                finally:
                    detach(tokens)
                if first:
                    first = False
                    _note_first_item(action)
                try:
                    to_send = yield item
                except GeneratorExit:
                    # The consumer stopped early: close the body inside its own context.
                    tokens = attach(action.span, action)
                    try:
                        generator.close()
                    except BaseException as exc:
                        end_error(action, exc)
                        raise
                    finally:
                        detach(tokens)
                    end_ok(action, None, None)
                    raise
                except BaseException as exc:
                    to_throw = exc
        finally:
            if not action.ended:
                end_ok(action, None, None)

    return wrapper


def _wrap_async_generator(fn: Callable[..., Any], spec: ActionSpec) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        action = start_action(spec)
        tokens = attach(action.span, action)
        try:
            _capture_inputs(spec, action, args, kwargs)
            generator = fn(*args, **kwargs)
        except BaseException as exc:
            end_error(action, exc)
            raise
        finally:
            detach(tokens)
        to_send: Any = None
        to_throw: BaseException | None = None
        first = True
        try:
            while True:
                tokens = attach(action.span, action)
                try:
                    if to_throw is not None:
                        pending, to_throw = to_throw, None
                        item = await generator.athrow(pending)
                    else:
                        item = await generator.asend(to_send)
                except StopAsyncIteration:
                    end_ok(action, None, _result_attributes(spec, action, None))
                    return
                except BaseException as exc:
                    end_error(action, exc)
                    raise
                finally:
                    detach(tokens)
                if first:
                    first = False
                    _note_first_item(action)
                try:
                    to_send = yield item
                except GeneratorExit:
                    tokens = attach(action.span, action)
                    try:
                        await generator.aclose()
                    except BaseException as exc:
                        end_error(action, exc)
                        raise
                    finally:
                        detach(tokens)
                    end_ok(action, None, None)
                    raise
                except BaseException as exc:
                    to_throw = exc
        finally:
            if not action.ended:
                end_ok(action, None, None)

    return wrapper


# --- classes ----------------------------------------------------------------------------

DEFAULT_METHODS = ("execute",)


def wrap_class(cls: C, kind: ActionKind, methods: Iterable[str], options: dict[str, Any]) -> C:
    """Wrap the named methods of ``cls`` (defined or inherited) in action spans."""
    wanted = tuple(methods)
    found = False
    for method_name in wanted:
        raw = inspect.getattr_static(cls, method_name, None)
        if raw is None:
            continue
        found = True
        wrapped = wrap_method_descriptor(raw, kind, {"owner_name": cls.__name__, **options})
        if wrapped is not raw:
            setattr(cls, method_name, wrapped)
    if not found:
        raise ConfigurationError(
            f"@{kind.value} on class {cls.__qualname__}: it has none of the methods "
            f"{wanted}; pass methods=(...) naming the method(s) that run the {kind.value}"
        )
    return cls


def wrap_method_descriptor(raw: Any, kind: ActionKind, options: dict[str, Any]) -> Any:
    """Wrap a function, staticmethod or classmethod as found in a class ``__dict__``."""
    if isinstance(raw, staticmethod):
        return staticmethod(wrap_callable(raw.__func__, make_spec(kind, raw.__func__, **options)))
    if isinstance(raw, classmethod):
        return classmethod(wrap_callable(raw.__func__, make_spec(kind, raw.__func__, **options)))
    if callable(raw):
        return wrap_callable(raw, make_spec(kind, raw, **options))
    return raw


def _decorate(
    kind: ActionKind, target: Any, methods: Iterable[str] | None, options: dict[str, Any]
) -> Any:
    if isinstance(target, type):
        return wrap_class(target, kind, methods or DEFAULT_METHODS, options)
    if isinstance(target, (staticmethod, classmethod)):
        return wrap_method_descriptor(target, kind, options)
    if not callable(target):
        raise ConfigurationError(f"@{kind.value} needs a function, method or class, got {target!r}")
    return wrap_callable(target, make_spec(kind, target, **options))


@overload
def agent(__target: F) -> F: ...
@overload
def agent(
    __target: str | None = None,
    *,
    name: str | None = None,
    action_type: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    methods: Iterable[str] | None = None,
    outcome: OutcomeHook | None = None,
    capture_content: bool | None = None,
    agent_id: str | None = None,
    version: str | None = None,
    model: str | None = None,
    provider: str | None = None,
) -> Callable[[F], F]: ...
def agent(__target: Any = None, **options: Any) -> Any:
    """Trace an agent: each call becomes an ``invoke_agent {name}`` span and an OutcomeEvent.

        @oa.agent                                   # a function, method or class
        class Planner:
            def execute(self, task, context): ...

        @oa.agent(name="react", action_type="reasoning", tags=["priority-high"])
        async def react(query: str) -> dict: ...

    On a class it wraps ``methods`` (default ``("execute",)``), named after the class.
    ``outcome`` maps the return value to ``record()`` fields; without it, a returned dict's
    (or object's) keys such as ``tokens_used``, ``quality_score`` or ``status`` are read.
    """
    return _decorator(ActionKind.AGENT, __target, options)


@overload
def tool(__target: F) -> F: ...
@overload
def tool(
    __target: str | None = None,
    *,
    name: str | None = None,
    action_type: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    methods: Iterable[str] | None = None,
    outcome: OutcomeHook | None = None,
    capture_content: bool | None = None,
    tool_type: str | None = None,
) -> Callable[[F], F]: ...
def tool(__target: Any = None, **options: Any) -> Any:
    """Trace a tool: each call becomes an ``execute_tool {name}`` span.

        @oa.tool
        def web_search(q: str) -> list[str]: ...

    Arguments and results are captured only when content capture is enabled.
    """
    return _decorator(ActionKind.TOOL, __target, options)


def _decorator(kind: ActionKind, target: Any, options: dict[str, Any]) -> Any:
    methods = options.pop("methods", None)
    if isinstance(target, str):
        options.setdefault("name", target)
        target = None
    if target is None:
        return lambda actual: _decorate(kind, actual, methods, dict(options))
    return _decorate(kind, target, methods, options)
