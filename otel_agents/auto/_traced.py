"""The wrappers auto-instrumentation installs: named per call, one span per action.

A target knows, once, how to name a call (its ``name=`` rule, else the qualname rule)
and keeps one ``ActionSpec`` per name it has seen, so each call only resolves a name,
looks its spec up and goes through the decorators' lifecycle (``_lifecycle``). What a
call returns that still has work to do (generator, async iterator, coroutine, context
manager) keeps the span open (``_streaming``). A call nested directly in a span of the
same kind and name (``ainvoke`` calling ``astream``, a chain of ``call_tool`` wrappers,
an override calling ``super()``) is the same action and opens no second span.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from otel_agents.auto import _lifecycle as lc
from otel_agents.auto._streaming import (
    INNERMOST,
    Run,
    follow_async_iterator,
    follow_generator,
    follow_result,
)
from otel_agents.semconv import ActionKind

if TYPE_CHECKING:
    from otel_agents.auto.naming import NameRule, Resolver

SPEC_ATTRIBUTE = lc.SPEC_ATTRIBUTE
#: Distinct names kept per target; past this, calls share the qualname's span name.
MAX_NAMES_PER_TARGET = 256
_NO_RECEIVER: Any = object()


class TracedTarget:
    """What is fixed for one wrapped callable: kind, naming, specs by name."""

    __slots__ = (
        "_by_class",
        "_fallback",
        "_resolve",
        "_specs",
        "fn",
        "kind",
        "options",
        "receiver_in_args",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        kind: ActionKind,
        *,
        name_rule: NameRule | None,
        fallback_name: str | None,
        by_receiver_class: bool,
        receiver_in_args: bool,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.fn = fn
        self.kind = kind
        self.options = dict(options or {})
        self.receiver_in_args = receiver_in_args
        self._resolve: Resolver | None = None
        if name_rule is not None:
            from otel_agents.auto.naming import compile_rule  # only ;name= patterns need it

            self._resolve = compile_rule(name_rule, fn, receiver_in_args=receiver_in_args)
        self._fallback = lc.make_spec(kind, fn, name=fallback_name, **self.options)
        self._by_class = by_receiver_class and kind is not ActionKind.TOOL
        self._specs: dict[str, lc.ActionSpec] = {self._fallback.name: self._fallback}

    @property
    def fallback_spec(self) -> lc.ActionSpec:
        return self._fallback

    def spec_for(self, receiver: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The call's spec, or None when it continues an action already in a span."""
        name = None
        if self._resolve is not None:
            name = self._resolve(receiver, args, kwargs)
        if name is None and self._by_class and receiver is not _NO_RECEIVER:
            name = (receiver if isinstance(receiver, type) else type(receiver)).__name__
        spec = self._fallback if name is None else self._specs.get(name)
        if spec is None:
            if len(self._specs) >= MAX_NAMES_PER_TARGET:
                spec = self._fallback
            else:
                spec = self._specs[name] = lc.make_spec(  # type: ignore[index]
                    self.kind, self.fn, **{**self.options, "name": name}
                )
        innermost = INNERMOST.get()
        if (
            innermost is not None
            and innermost[1] is spec.kind
            and innermost[2] == spec.name
            and lc.CURRENT_ACTION.get() is innermost[0]
        ):
            return None
        return spec


def traced(
    fn: Callable[..., Any],
    target: TracedTarget,
    receiver: Any = _NO_RECEIVER,
    *,
    copy_metadata: bool = True,
) -> Any:
    """Wrap ``fn``; ``receiver`` is fixed for callable attributes, else ``args[0]``."""
    receiver_fixed = receiver is not _NO_RECEIVER
    receiver_in_args = target.receiver_in_args

    def pick(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if receiver_fixed:
            return target.spec_for(receiver, args, kwargs)
        if receiver_in_args and args:
            return target.spec_for(args[0], args, kwargs)
        return target.spec_for(_NO_RECEIVER, args, kwargs)

    wrapper: Callable[..., Any]
    if inspect.isasyncgenfunction(fn):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            run = _open(pick(args, kwargs), args, kwargs)
            if run is None:
                async for item in fn(*args, **kwargs):
                    yield item
                return
            iterator = follow_async_iterator(run, _call(run, fn, args, kwargs))
            try:
                async for item in iterator:
                    yield item
            finally:
                await iterator.aclose()

    elif inspect.iscoroutinefunction(fn):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            run = _open(pick(args, kwargs), args, kwargs)
            if run is None:
                return await fn(*args, **kwargs)
            marks = run.make_current()
            try:
                call = lc.enter(run.spec, run.action, args, kwargs)
                if call is not None:
                    await lc.run_hooks_async(lc.RUNTIME.pre_hooks, call)
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                run.restore(marks)
                await run.end_async(None, exc)
                raise
            run.restore(marks)
            await run.end_async(result, None)
            return result

    elif inspect.isgeneratorfunction(fn):

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            run = _open(pick(args, kwargs), args, kwargs)
            if run is None:
                return (yield from fn(*args, **kwargs))
            return (yield from follow_generator(run, _call(run, fn, args, kwargs)))

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            run = _open(pick(args, kwargs), args, kwargs)
            if run is None:
                return fn(*args, **kwargs)
            result = _call(run, fn, args, kwargs)
            stand_in = follow_result(run, result)
            if stand_in is not None:
                return stand_in
            run.end_sync(result, None)
            return result

    if copy_metadata:
        functools.update_wrapper(wrapper, fn)
    setattr(wrapper, SPEC_ATTRIBUTE, target.fallback_spec)
    return wrapper


def _open(spec: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Run | None:
    if spec is None:
        return None
    action = lc.begin(spec)
    return None if action is None else Run(spec, action, args, kwargs)


def _call(run: Run, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call ``fn`` with the span current (pre-hooks first); a raise ends the span."""
    marks = run.make_current()
    try:
        call = lc.enter(run.spec, run.action, args, kwargs)
        if call is not None:
            lc.run_hooks_sync(lc.RUNTIME.pre_hooks, call)
        result = fn(*args, **kwargs)
    except BaseException as exc:
        run.restore(marks)
        run.end_sync(None, exc)
        raise
    run.restore(marks)
    return result
