"""Carry the caller's context into ``ThreadPoolExecutor`` workers.

``contextvars`` do not cross into executor threads by themselves, so an agent that fans
out tool calls to a pool would lose its parent span. ``configure()`` wraps
``ThreadPoolExecutor.submit`` to run each task in a copy of the submitter's context (as
OpenTelemetry's threading instrumentation does); ``shutdown()`` calls ``uninstall()``,
which restores it.
"""

from __future__ import annotations

import contextvars
import functools
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_MARK = "__otel_agents_context_propagation__"


def install() -> None:
    """Idempotent; a no-op if the submit method already carries context for us."""
    if getattr(ThreadPoolExecutor.submit, _MARK, False):
        return
    original = ThreadPoolExecutor.submit

    @functools.wraps(original)  # type: ignore[arg-type]
    def submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return original(self, context.run, fn, *args, **kwargs)

    setattr(submit, _MARK, True)
    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    if getattr(ThreadPoolExecutor.submit, _MARK, False):
        ThreadPoolExecutor.submit = ThreadPoolExecutor.submit.__wrapped__  # type: ignore[attr-defined,method-assign]


__all__ = ["install", "uninstall"]
