"""Pre- and post-call hooks: user code that observes every agent action.

    def audit(call: oa.ActionCall) -> None:
        print(call.name, call.status, call.error, call.duration_ms)
    oa.add_post_hook(audit, background=True)   # off the agent's thread

The contract (docs/guarantees.md, "Hooks"):

* Inline hooks (pre hooks, and post hooks by default) run on the agent's thread: their
  time is the call's time. A sync hook cannot be interrupted in Python, so each one is
  timed (only when hooks exist) and one that runs over ``OTEL_AGENTS_HOOK_TIMEOUT_MS`` is
  reported once by name and counted (``stats()["hooks_slow"]``).
* Async hooks get that time as a real deadline: awaited in async actions, scheduled on the
  running loop from sync ones (else skipped, logged once), run on the worker's own loop in
  the background; past the deadline they are cancelled, reported once and counted
  (``stats()["hooks_timed_out"]``).
* Background post hooks (``background=True``) run on one daemon worker, in order, after the
  call has returned: the agent pays one queue append. A full queue drops and counts
  (``stats()["hooks_dropped"]``); ``force_flush``, ``shutdown`` and exit wait for it, bounded.
* A hook that raises (``SystemExit`` included) is logged once and counted; it never changes
  the action's result.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span

from otel_agents._state import RUNTIME
from otel_agents.instrument.background import EXIT_FLUSH_S, BackgroundWorker
from otel_agents.semconv import ActionKind

if TYPE_CHECKING:
    import asyncio

Hook = Callable[["ActionCall"], Any]
_PENDING_TASKS: set[asyncio.Task[Any]] = set()
_logger = logging.getLogger("otel_agents")
#: Background post-hook calls that may wait; beyond it, calls are dropped and counted.
BACKGROUND_QUEUE_SIZE = 10_000
_WORKER = BackgroundWorker("background-hooks", BACKGROUND_QUEUE_SIZE)


class ActionCall:
    """What a hook sees of one call. ``status``/``result``/``error`` are set for post hooks.

    In post hooks the span has ended: read it (``call.span.get_span_context()``), do not
    write to it. Pre hooks may set attributes on the live span.
    """

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

    @property
    def duration_ms(self) -> float | None:
        """How long the call took (post hooks; None before it ended or without an SDK)."""
        start = getattr(self.span, "start_time", None)
        end = getattr(self.span, "end_time", None)
        if isinstance(start, int) and isinstance(end, int):
            return (end - start) / 1e6
        return None


class _BackgroundHook:
    """A post hook registered with ``background=True``: calling it only queues the call."""

    __slots__ = ("hook",)

    def __init__(self, hook: Hook) -> None:
        self.hook = hook

    def __call__(self, call: ActionCall) -> None:
        _WORKER.submit(self._run, call)

    def _run(self, call: ActionCall) -> Any:
        outcome = run_one_hook(self.hook, call, on_agent_thread=False)
        return None if outcome is None else with_deadline(outcome, self.hook)


def add_pre_hook(hook: Hook) -> Hook:
    """Run ``hook(call)`` on the agent's thread before every instrumented action.

    @oa.add_pre_hook
    def tag(call): call.span.set_attribute("app.tenant", tenant())
    """
    RUNTIME.pre_hooks = (*RUNTIME.pre_hooks, hook)
    return hook


def add_post_hook(hook: Hook | None = None, *, background: bool = False) -> Any:
    """Run ``hook(call)`` after every instrumented action ends (usable as a decorator).

        oa.add_post_hook(audit)                      # inline: on the agent's thread
        oa.add_post_hook(notify, background=True)    # on one worker, after the call returned

    Inline hooks see the call before it returns to the agent (and delay it by their own
    time); background hooks cost the agent one queue append, run in order on a daemon
    thread and are waited for, bounded, by ``force_flush``/``shutdown``/exit.
    """
    if hook is None:
        return lambda fn: add_post_hook(fn, background=background)
    registered: Hook = _BackgroundHook(hook) if background else hook
    RUNTIME.post_hooks = (*RUNTIME.post_hooks, registered)
    return hook


def remove_hook(hook: Hook) -> None:
    """Stop calling ``hook`` (inline or background); unknown hooks are ignored."""
    RUNTIME.pre_hooks = tuple(h for h in RUNTIME.pre_hooks if h is not hook)
    RUNTIME.post_hooks = tuple(
        h for h in RUNTIME.post_hooks if h is not hook and getattr(h, "hook", None) is not hook
    )


def flush_background_hooks(timeout_s: float = EXIT_FLUSH_S, *, final: bool = False) -> bool:
    """Wait up to ``timeout_s`` for the background hooks queued so far; True if all ran.

    ``final`` (shutdown, exit): a hook a final flush already timed out on is not waited for
    again.
    """
    return _WORKER.flush(timeout_s, final=final)


def hook_stats() -> dict[str, int]:
    """Counters of the hook contract (also in ``Telemetry.stats()``)."""
    return {
        "hooks_slow": _COUNTS.slow,
        "hooks_timed_out": _COUNTS.timed_out,
        "hooks_dropped": _WORKER.dropped,
        "hooks_queued": _WORKER.queued,
    }


class _Counts:
    slow = 0
    timed_out = 0


_COUNTS = _Counts()
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()

#: What a hook may raise without touching the agent call. ``SystemExit`` too: a hook that
#: calls ``sys.exit()`` must not end the agent's run. ``KeyboardInterrupt`` is left alone:
#: it is the user's Ctrl-C, which only happened to arrive while a hook ran.
_HOOK_ERRORS = (Exception, SystemExit)
_clock = time.perf_counter  # a vDSO read, no syscall


def run_hooks_sync(hooks: tuple[Hook, ...], call: ActionCall) -> None:
    for hook in hooks:
        outcome = run_one_hook(hook, call, on_agent_thread=True)
        if outcome is not None:
            _schedule(outcome, hook)


async def run_hooks_async(hooks: tuple[Hook, ...], call: ActionCall) -> None:
    for hook in hooks:
        outcome = run_one_hook(hook, call, on_agent_thread=True)
        if outcome is not None:
            await with_deadline(outcome, hook)


def run_one_hook(hook: Hook, call: ActionCall, *, on_agent_thread: bool) -> Any:
    """Call ``hook`` and time it; returns what it returned if that is awaitable, else None."""
    start = _clock()
    try:
        outcome = hook(call)
    except _HOOK_ERRORS as exc:
        RUNTIME.report_internal_error(f"hook {_hook_name(hook)}", exc)
        return None
    budget = RUNTIME.hook_timeout_s
    elapsed = _clock() - start
    if elapsed > budget:
        _COUNTS.slow += 1
        _warn_once(
            "slow",
            hook,
            "otel-agents: hook %s took %.0f ms, over its %.0f ms budget "
            "(OTEL_AGENTS_HOOK_TIMEOUT_MS)%s; counted in stats()['hooks_slow'], reported once",
            _hook_name(hook),
            elapsed * 1000,
            budget * 1000,
            ". It ran on the agent's thread and delayed the call: register slow work with "
            "oa.add_post_hook(fn, background=True)"
            if on_agent_thread
            else " on the background worker, delaying the hooks queued behind it",
        )
    return outcome if inspect.isawaitable(outcome) else None


async def with_deadline(awaitable: Any, hook: Hook) -> None:
    """Await an async hook for at most ``OTEL_AGENTS_HOOK_TIMEOUT_MS``, then cancel it."""
    budget = RUNTIME.hook_timeout_s
    try:
        expired = await _await_within(awaitable, budget)
    except _HOOK_ERRORS as exc:
        RUNTIME.report_internal_error(f"hook {_hook_name(hook)}", exc)
        return
    if expired:
        _COUNTS.timed_out += 1
        _warn_once(
            "timeout",
            hook,
            "otel-agents: async hook %s was cancelled after its %.0f ms deadline "
            "(OTEL_AGENTS_HOOK_TIMEOUT_MS); counted in stats()['hooks_timed_out'], "
            "reported once",
            _hook_name(hook),
            budget * 1000,
        )


async def _await_within(awaitable: Any, budget: float) -> bool:
    """Await ``awaitable``, cancelling it after ``budget`` seconds; True if that happened."""
    import asyncio  # an awaitable hook means asyncio is in use

    timeout = getattr(asyncio, "timeout", None)  # Python 3.11+: no extra task
    if timeout is None:
        try:
            await asyncio.wait_for(awaitable, budget)
        except asyncio.TimeoutError:
            return True  # (3.10 cannot tell the hook's own TimeoutError from the deadline)
        return False
    scope = timeout(budget)
    try:
        async with scope:
            await awaitable
    except TimeoutError:
        if scope.expired():
            return True
        raise  # the hook's own TimeoutError: an error like any other
    return False


def _warn_once(what: str, hook: Hook, message: str, *args: Any) -> None:
    key = (what, _hook_name(hook))
    if key in _warned:
        return
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    _logger.warning(message, *args)


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
    task = loop.create_task(with_deadline(awaitable, hook))
    _PENDING_TASKS.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_PENDING_TASKS.discard)


def _hook_name(hook: Hook) -> str:
    inner = getattr(hook, "hook", hook) if isinstance(hook, _BackgroundHook) else hook
    return getattr(inner, "__qualname__", repr(inner))
