"""Wrappers for ``Class.method+`` targets: one span per call, however deep the overrides.

Every override in the hierarchy is wrapped. When an override calls ``super().method()``,
the base's wrapper sees that the receiver's class resolves ``method`` to another function
(the override, already in a span) and calls straight through: one call, one span. Agents
and workflows are named after the receiver's class, so a subclass that inherits ``run``
still reports as itself. Nothing is stored per call: the decision is one attribute
lookup, which Python's type attribute cache makes cheap, and one dict lookup.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from otel_agents.instrument.decorators import wrap_method_descriptor
from otel_agents.instrument.lifecycle import wrap_callable
from otel_agents.instrument.spec import make_spec
from otel_agents.semconv import ActionKind


def wrap_override(
    owner: type, name: str, raw: Any, kind: ActionKind, options: dict[str, Any]
) -> Any:
    """Wrap ``raw`` (found in ``owner.__dict__`` under ``name``) for a ``+`` target."""
    if isinstance(raw, staticmethod):
        # No receiver, so no super() chain to collapse: the plain wrapper is right.
        return wrap_method_descriptor(raw, kind, options)
    receiver_is_class = isinstance(raw, classmethod)
    fn = raw.__func__ if receiver_is_class else raw
    traced = wrap_callable(fn, make_spec(kind, fn, **options))
    if traced is fn:
        return raw
    guard = _guard(owner, fn, traced, name, receiver_is_class, kind, options)
    return classmethod(guard) if receiver_is_class else guard


def _guard(
    owner: type,
    fn: Callable[..., Any],
    traced: Callable[..., Any],
    name: str,
    receiver_is_class: bool,
    kind: ActionKind,
    options: dict[str, Any],
) -> Callable[..., Any]:
    guard: Callable[..., Any]
    named_by_class = "owner_name" in options
    per_class: dict[type, Callable[..., Any]] = {owner: traced}

    def choose(args: tuple[Any, ...]) -> Callable[..., Any]:
        """The callable for this call: a span, or straight through for a super() call."""
        if not args:
            return traced
        cls = args[0] if receiver_is_class else type(args[0])
        resolved = getattr(cls, name, None)
        if receiver_is_class:
            resolved = getattr(resolved, "__func__", None)
        if resolved is not guard:
            return fn  # an override further down is running and has the span
        if not named_by_class:
            return traced
        chosen = per_class.get(cls)
        if chosen is None:
            # A subclass that inherits the method: its agent is named after itself.
            spec = make_spec(kind, fn, **{**options, "owner_name": cls.__name__})
            chosen = per_class[cls] = wrap_callable(fn, spec)
        return chosen

    if inspect.iscoroutinefunction(fn):

        async def guard(*args: Any, **kwargs: Any) -> Any:
            return await choose(args)(*args, **kwargs)

    elif inspect.isgeneratorfunction(fn):

        def guard(*args: Any, **kwargs: Any) -> Any:
            return (yield from choose(args)(*args, **kwargs))

    else:
        # Plain functions, and async generator functions (the object they return is
        # passed through untouched; only the wrapper's own function flags differ).

        def guard(*args: Any, **kwargs: Any) -> Any:
            return choose(args)(*args, **kwargs)

    # Copies the spec marker too, so a second pattern or decorator sees it as instrumented.
    functools.update_wrapper(guard, traced)
    return guard
