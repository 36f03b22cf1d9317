"""Spans that last as long as the work a call hands back, not just the call.

A method may return a generator, an async generator or iterator, a coroutine, or a
``contextlib`` context manager: the real work happens later, while the caller iterates,
awaits or runs the ``with`` body. The span handed over here stays open until that object
is exhausted, closed or exited, and is current only while its own code runs (between
items the consumer's context is in force, as in the decorators' generator shells). A
context manager's span is current for the whole ``with`` body, which it encloses.
An object dropped before it ran ends its span when it is garbage-collected.
"""

from __future__ import annotations

import contextlib
import contextvars
import types
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

from otel_agents.auto import _lifecycle as lc

#: The innermost auto-instrumented action: (action, kind, name). A directly nested call
#: of the same kind and name is the same logical action and opens no second span.
INNERMOST: contextvars.ContextVar[tuple[Any, Any, str] | None] = contextvars.ContextVar(
    "otel_agents_auto_innermost", default=None
)

_CONTEXTLIB_MANAGERS: tuple[type, ...] = (contextlib._GeneratorContextManagerBase,)


class Run:
    """One open action and what its end needs (spec, arguments for hooks)."""

    __slots__ = ("action", "args", "kwargs", "spec")

    def __init__(
        self, spec: lc.ActionSpec, action: lc.Action, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.spec = spec
        self.action = action
        self.args = args
        self.kwargs = kwargs

    def make_current(self) -> tuple[Any, contextvars.Token[Any]]:
        tokens = lc.attach(self.action.span, self.action)
        return tokens, INNERMOST.set((self.action, self.spec.kind, self.spec.name))

    @staticmethod
    def restore(marks: tuple[Any, contextvars.Token[Any]]) -> None:
        tokens, innermost = marks
        try:
            INNERMOST.reset(innermost)
            lc.detach(tokens)
        except ValueError:
            pass  # resumed in another context (a task switch): nothing of ours to undo there

    def end_sync(self, result: Any, error: BaseException | None) -> None:
        lc.end_sync(self.spec, self.action, self.args, self.kwargs, result, error)

    async def end_async(self, result: Any, error: BaseException | None) -> None:
        await lc.end_async(self.spec, self.action, self.args, self.kwargs, result, error)


def follow_result(run: Run, result: Any) -> Any | None:
    """A stand-in for ``result`` that ends the span when the work is done, or None."""
    if isinstance(result, types.GeneratorType):
        return _guarded(run, follow_generator(run, result))
    if isinstance(result, types.CoroutineType):
        return _guarded(run, follow_coroutine(run, result))
    if isinstance(result, types.AsyncGeneratorType) or (
        hasattr(type(result), "__anext__") and hasattr(type(result), "__aiter__")
    ):
        return _guarded(run, follow_async_iterator(run, result))
    if isinstance(result, _CONTEXTLIB_MANAGERS):
        return _guarded(run, TracedContextManager(run, result))
    return None


def _guarded(run: Run, stand_in: Any) -> Any:
    # Dropped before it ran (never iterated, awaited or entered): end the span anyway.
    weakref.finalize(stand_in, _end_abandoned, run)
    return stand_in


def _end_abandoned(run: Run) -> None:
    if not run.action.ended:
        lc.succeed(run.spec, run.action, run.args, run.kwargs, None)


def follow_generator(run: Run, generator: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
    """Iterate ``generator`` inside the span; end the span when it stops."""
    to_send: Any = None
    to_throw: BaseException | None = None
    result: Any = None
    error: BaseException | None = None
    first = True
    try:
        while True:
            marks = run.make_current()
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
                run.restore(marks)
            if first:
                first = False
                lc.note_first_item(run.action)
            try:
                to_send = yield item
            except GeneratorExit:
                marks = run.make_current()
                try:
                    generator.close()
                finally:
                    run.restore(marks)
                raise
            except BaseException as exc:
                to_throw = exc
    except GeneratorExit:
        raise  # the consumer stopped early: not a failure
    except BaseException as exc:
        error = exc
        raise
    finally:
        run.end_sync(result, error)


async def follow_async_iterator(run: Run, iterator: Any) -> AsyncGenerator[Any, Any]:
    """Iterate an async generator or iterator inside the span; end it when it stops."""
    to_send: Any = None
    to_throw: BaseException | None = None
    error: BaseException | None = None
    first = True
    try:
        while True:
            marks = run.make_current()
            try:
                if to_throw is not None:
                    pending, to_throw = to_throw, None
                    item = await iterator.athrow(pending)
                elif to_send is None:
                    item = await iterator.__anext__()
                else:
                    item = await iterator.asend(to_send)
            except StopAsyncIteration:
                return
            finally:
                run.restore(marks)
            if first:
                first = False
                lc.note_first_item(run.action)
            try:
                to_send = yield item
            except GeneratorExit:
                close: Callable[[], Any] | None = getattr(iterator, "aclose", None)
                if close is not None:
                    marks = run.make_current()
                    try:
                        await close()
                    finally:
                        run.restore(marks)
                raise
            except BaseException as exc:
                if not hasattr(iterator, "athrow"):
                    raise
                to_throw = exc
    except GeneratorExit:
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        await run.end_async(None, error)


async def follow_coroutine(run: Run, coroutine: Any) -> Any:
    """Await ``coroutine`` inside the span; end the span with its result."""
    marks = run.make_current()
    try:
        result = await coroutine
    except BaseException as exc:
        run.restore(marks)
        await run.end_async(None, exc)
        raise
    run.restore(marks)
    await run.end_async(result, None)
    return result


class TracedContextManager:
    """A ``contextlib`` context manager whose span covers the ``with`` block."""

    def __init__(self, run: Run, manager: Any) -> None:
        self._run = run
        self._manager = manager
        self._marks: tuple[Any, contextvars.Token[Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def __enter__(self) -> Any:
        self._marks = self._run.make_current()
        try:
            return self._manager.__enter__()
        except BaseException as exc:
            self._leave()
            self._run.end_sync(None, exc)
            raise

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            suppressed = self._manager.__exit__(*exc_info)
        except BaseException as exc:
            self._leave()
            self._run.end_sync(None, exc)
            raise
        self._leave()
        raised = exc_info[1] if exc_info[1] is not None and not suppressed else None
        self._run.end_sync(None, raised)
        return suppressed

    async def __aenter__(self) -> Any:
        self._marks = self._run.make_current()
        try:
            return await self._manager.__aenter__()
        except BaseException as exc:
            self._leave()
            await self._run.end_async(None, exc)
            raise

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            suppressed = await self._manager.__aexit__(*exc_info)
        except BaseException as exc:
            self._leave()
            await self._run.end_async(None, exc)
            raise
        self._leave()
        raised = exc_info[1] if exc_info[1] is not None and not suppressed else None
        await self._run.end_async(None, raised)
        return suppressed

    def __call__(self, fn: Any) -> Any:
        # contextlib managers double as decorators; keep that working, untraced.
        return self._manager(fn)

    def _leave(self) -> None:
        if self._marks is not None:
            marks, self._marks = self._marks, None
            self._run.restore(marks)
