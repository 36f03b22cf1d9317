"""Pre- and post-call hooks: user code that observes every agent action.

    def audit(call: oa.ActionCall) -> None:
        print(call.name, call.status, call.error)
    oa.add_post_hook(audit)

Hooks may be plain functions or coroutine functions. Async hooks are awaited inside async
actions; inside sync actions they are scheduled on the running event loop if there is
one, else skipped (logged once). A hook that raises (``SystemExit`` included) is logged
once and counted; it never changes the action's result.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span

from otel_agents._state import RUNTIME
from otel_agents.semconv import ActionKind

if TYPE_CHECKING:
    import asyncio

Hook = Callable[["ActionCall"], Any]
_PENDING_TASKS: set[asyncio.Task[Any]] = set()


class ActionCall:
    """What a hook sees of one call. ``status``/``result``/``error`` are set for post hooks."""

    __slots__ = ("args", "error", "kind", "kwargs", "name", "result", "span", "status")

    def __init__(
        self, kind: ActionKind, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], span: Span
    ) -> None:
        self.kind = kind
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.span = span
        self.status: str | None = None
        self.result: Any = None
        self.error: BaseException | None = None


def add_pre_hook(hook: Hook) -> Hook:
    """Run ``hook(call)`` before every instrumented action (usable as a decorator)."""
    RUNTIME.pre_hooks = (*RUNTIME.pre_hooks, hook)
    return hook


def add_post_hook(hook: Hook) -> Hook:
    """Run ``hook(call)`` after every instrumented action ends (usable as a decorator)."""
    RUNTIME.post_hooks = (*RUNTIME.post_hooks, hook)
    return hook


def remove_hook(hook: Hook) -> None:
    """Stop calling ``hook``; unknown hooks are ignored."""
    RUNTIME.pre_hooks = tuple(h for h in RUNTIME.pre_hooks if h is not hook)
    RUNTIME.post_hooks = tuple(h for h in RUNTIME.post_hooks if h is not hook)


#: What a hook may raise without touching the agent call. ``SystemExit`` too: a hook that
#: calls ``sys.exit()`` must not end the agent's run. ``KeyboardInterrupt`` is left alone:
#: it is the user's Ctrl-C, which only happened to arrive while a hook ran.
_HOOK_ERRORS = (Exception, SystemExit)


def run_hooks_sync(hooks: tuple[Hook, ...], call: ActionCall) -> None:
    for hook in hooks:
        try:
            outcome = hook(call)
            if inspect.isawaitable(outcome):
                _schedule(outcome, hook)
        except _HOOK_ERRORS as exc:
            RUNTIME.report_internal_error(f"hook {_hook_name(hook)}", exc)


async def run_hooks_async(hooks: tuple[Hook, ...], call: ActionCall) -> None:
    for hook in hooks:
        try:
            outcome = hook(call)
            if inspect.isawaitable(outcome):
                await outcome
        except _HOOK_ERRORS as exc:
            RUNTIME.report_internal_error(f"hook {_hook_name(hook)}", exc)


def _schedule(awaitable: Any, hook: Hook) -> None:
    # Only an application that imported asyncio can have a running loop.
    asyncio = sys.modules.get("asyncio")
    try:
        if asyncio is None:
            raise RuntimeError("no running event loop")
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # avoid "coroutine was never awaited"
        RUNTIME.report_internal_error(
            f"async hook {_hook_name(hook)} (no running event loop in a sync action)",
            RuntimeError("async hook skipped"),
        )
        return
    task = loop.create_task(awaitable)
    _PENDING_TASKS.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_PENDING_TASKS.discard)


def _hook_name(hook: Hook) -> str:
    return getattr(hook, "__qualname__", repr(hook))
