"""The decorators: ``@agent``, ``@tool``, on functions, methods and classes.

Everything static about a decorated function (span name, identifying attributes) is
computed once, at decoration time (``spec``); each call goes through the one call
lifecycle (``lifecycle``), whatever kind of callable it is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from otel_agents.errors import ConfigurationError
from otel_agents.instrument.lifecycle import wrap_callable
from otel_agents.instrument.spec import OutcomeHook, make_spec
from otel_agents.semconv import ActionKind

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)


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
