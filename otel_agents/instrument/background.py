"""The background lane of post hooks: one daemon thread, a bounded queue, bounded flushes.

``oa.add_post_hook(fn, background=True)`` hands each finished call here instead of running
``fn`` on the agent's thread. The agent pays one ``deque.append`` (and, only when the
worker sleeps, one wake-up); a slow or hanging hook delays other hooks, never an agent
call. A full queue drops the call and counts it (warned once). ``flush()`` waits for the
queue for a bounded time; at interpreter exit the queue gets at most ``EXIT_FLUSH_S``, and
the thread is a daemon, so a hanging hook never holds the process.

    worker = BackgroundWorker("hooks", max_queue=10_000)
    worker.submit(print, "runs on the worker thread")
    worker.flush(timeout_s=1.0)
"""

from __future__ import annotations

import atexit
import collections
import inspect
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

_logger = logging.getLogger("otel_agents")
#: The longest the queue is waited for at interpreter exit (and by ``oa.shutdown()``).
EXIT_FLUSH_S = 5.0
_FLUSH_POLL_S = 0.005

Job = Callable[[Any], Any]


class BackgroundWorker:
    """Runs ``job(argument)`` on one daemon thread, in order; awaitables on its own loop."""

    def __init__(self, name: str, max_queue: int) -> None:
        self.name = name
        self.max_queue = max_queue
        #: Jobs dropped because the queue was full, or still queued when the process exited.
        self.dropped = 0
        self.completed = 0
        self._atexit_registered = False
        self._reset()
        _AFTER_FORK.add(self)

    def _reset(self) -> None:
        """Everything that belongs to one process (re-done in a forked child)."""
        self._queue: collections.deque[tuple[Job, Any]] = collections.deque()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # Both written by the worker thread only; read by submit() and flush().
        self._sleeping = False
        self._busy = False
        self._jobs_started = 0
        # The job a final flush gave up on: the next final flush does not wait for it again.
        self._given_up_on: int | None = None
        self._loop: Any = None
        self._warned_full = False

    @property
    def queued(self) -> int:
        return len(self._queue) + (1 if self._busy else 0)

    def submit(self, job: Job, argument: Any) -> bool:
        """Queue ``job(argument)``; False (counted, warned once) when the queue is full."""
        queue = self._queue
        if len(queue) >= self.max_queue:
            self.dropped += 1
            if not self._warned_full:
                self._warned_full = True
                _logger.warning(
                    "otel-agents: the %s queue is full (%d waiting: a background hook is "
                    "slower than the calls that feed it); calls are dropped and counted in "
                    "stats()['hooks_dropped'] (warned once)",
                    self.name,
                    len(queue),
                )
            return False
        queue.append((job, argument))
        if self._thread is None:
            self._start()
        elif self._sleeping:
            # A futex wake costs a syscall: only when the worker sleeps, never per job.
            self._wake.set()
        return True

    def flush(self, timeout_s: float, *, final: bool = False) -> bool:
        """Wait up to ``timeout_s`` until every job queued so far has run; True if so.

        ``final`` (shutdown, exit): a job an earlier final flush timed out on is not
        waited for again, so ``shutdown()`` then exit cost one timeout, not two.
        """
        deadline = time.monotonic() + timeout_s
        while self._queue or self._busy:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return False
            if final and self._busy and self._given_up_on == self._jobs_started:
                return False
            if time.monotonic() >= deadline:
                if final and self._busy:
                    self._given_up_on = self._jobs_started
                return False
            time.sleep(_FLUSH_POLL_S)
        return True

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            thread = threading.Thread(
                target=self._run, name=f"otel-agents-{self.name}", daemon=True
            )
            thread.start()
            self._thread = thread
            if not self._atexit_registered:
                self._atexit_registered = True
                atexit.register(self._flush_at_exit)

    def _run(self) -> None:
        queue = self._queue
        wake = self._wake
        while True:
            self._busy = True  # before popping, so flush() never sees "empty and idle" early
            try:
                job, argument = queue.popleft()
                self._jobs_started += 1
            except IndexError:
                self._busy = False
                self._sleeping = True
                # Re-checked after announcing the sleep: a job appended in between either
                # is seen here or finds _sleeping set and wakes us.
                if not queue:
                    wake.wait()
                wake.clear()
                self._sleeping = False
                continue
            try:
                outcome = job(argument)
                if inspect.isawaitable(outcome):
                    self._event_loop().run_until_complete(outcome)
            except BaseException:  # a job guards itself; this keeps the lane alive anyway
                _logger.exception("otel-agents: %s job failed", self.name)
            self.completed += 1

    def _event_loop(self) -> Any:
        if self._loop is None:
            import asyncio  # only once an async hook runs here

            self._loop = asyncio.new_event_loop()
        return self._loop

    def _flush_at_exit(self) -> None:
        if self._thread is None or not (self._queue or self._busy):
            return
        if not self.flush(EXIT_FLUSH_S, final=True):
            left = self.queued
            self.dropped += left
            _logger.warning(
                "otel-agents: %d %s call(s) not run at exit: the queue did not drain within "
                "%.0f s (a background hook is slow or hangs)",
                left,
                self.name,
                EXIT_FLUSH_S,
            )


_AFTER_FORK: weakref.WeakSet[BackgroundWorker] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The worker thread does not exist in the child, and the queued calls are the
    # parent's: the child starts empty, with its own thread on its first job.
    for worker in list(_AFTER_FORK):
        worker._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
