"""Wrappers for ``Class.method+`` targets: one span per call, however deep the overrides.

Every override in the hierarchy is wrapped. When an override calls ``super().method()``,
the base's wrapper sees that the receiver's class resolves ``method`` to another function
(the override, already in a span) and calls straight through: one call, one span, named
after the class whose override ran. Nothing is stored per call: the decision is one
attribute lookup, which Python's type attribute cache makes cheap.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from otel_agents.instrument import make_spec, wrap_callable, wrap_method_descriptor
from otel_agents.semconv import ActionKind


def wrap_override(name: str, raw: Any, kind: ActionKind, options: dict[str, Any]) -> Any:
    """Wrap ``raw`` (as found in a class ``__dict__`` under ``name``) for a ``+`` target."""
    if isinstance(raw, staticmethod):
        # No receiver, so no super() chain to collapse: the plain wrapper is right.
        return wrap_method_descriptor(raw, kind, options)
    receiver_is_class = isinstance(raw, classmethod)
    fn = raw.__func__ if receiver_is_class else raw
    traced = wrap_callable(fn, make_spec(kind, fn, **options))
    if traced is fn:
        return raw
    guard = _guard(fn, traced, name, receiver_is_class)
    return classmethod(guard) if receiver_is_class else guard


def _guard(
    fn: Callable[..., Any], traced: Callable[..., Any], name: str, receiver_is_class: bool
) -> Callable[..., Any]:
    guard: Callable[..., Any]

    if receiver_is_class:

        def runs_own_override(args: tuple[Any, ...]) -> bool:
            bound = getattr(args[0], name, None) if args else None
            return getattr(bound, "__func__", None) is guard

    else:

        def runs_own_override(args: tuple[Any, ...]) -> bool:
            return bool(args) and getattr(type(args[0]), name, None) is guard

    if inspect.iscoroutinefunction(fn):

        async def guard(*args: Any, **kwargs: Any) -> Any:
            if runs_own_override(args):
                return await traced(*args, **kwargs)
            return await fn(*args, **kwargs)

    elif inspect.isgeneratorfunction(fn):

        def guard(*args: Any, **kwargs: Any) -> Any:
            chosen = traced if runs_own_override(args) else fn
            return (yield from chosen(*args, **kwargs))

    else:
        # Plain functions, and async generator functions (the object they return is
        # passed through untouched; only the wrapper's own function flags differ).

        def guard(*args: Any, **kwargs: Any) -> Any:
            if runs_own_override(args):
                return traced(*args, **kwargs)
            return fn(*args, **kwargs)

    # Copies the spec marker too, so a second pattern or decorator sees it as instrumented.
    functools.update_wrapper(guard, traced)
    return guard
