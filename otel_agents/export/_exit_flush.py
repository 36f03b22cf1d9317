"""Flush outcomes on the exits that skip ``atexit``: SIGTERM and ``multiprocessing`` children.

* SIGTERM's default action ends the process at once, without ``atexit``: events still in
  the processor's queue or the Kafka producer's would be lost. When the application has
  not set its own handler, ours shuts telemetry down (bounded by its timeouts), then
  restores the default and re-sends SIGTERM, so the exit status is still "killed by
  SIGTERM". An application with its own handler keeps it (call ``oa.shutdown()`` there).
* ``multiprocessing`` workers end with ``os._exit()`` after running the finalizers of
  ``multiprocessing.util``: one is registered in every forked worker. Workers keep the
  default SIGTERM, so ``Pool.terminate()`` (also the end of ``with Pool() as pool``)
  still kills them at once, and events of their last ~100 ms may go with them: end a
  pool with ``pool.close(); pool.join()`` to keep everything.

    install(lambda: shutdown())     # configure() does this
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_flush: Callable[[], None] | None = None
_installed_handler = False


def install(flush: Callable[[], None]) -> None:
    """Run ``flush`` on SIGTERM (if the app has no handler) and at a worker's exit."""
    global _flush
    _flush = flush
    _install_sigterm()
    _watch_multiprocessing()


_watching_forks = False


def _watch_multiprocessing() -> None:
    # multiprocessing costs ~7 ms to import: hook into it only if the app loaded it, at
    # the latest just before a fork (its workers are forked after the app imported it).
    global _watching_forks
    if "multiprocessing.util" in sys.modules:
        _register_with_multiprocessing()
    elif not _watching_forks and hasattr(os, "register_at_fork"):
        _watching_forks = True
        os.register_at_fork(before=_register_if_multiprocessing_loaded)


def _register_if_multiprocessing_loaded() -> None:
    if _flush is not None and "multiprocessing.util" in sys.modules:
        _register_with_multiprocessing()


_registered_with_multiprocessing = False


def _register_with_multiprocessing() -> None:
    global _registered_with_multiprocessing
    if _registered_with_multiprocessing:
        return
    _registered_with_multiprocessing = True
    import multiprocessing.util

    # Runs in each multiprocessing child after its fork, once its finalizers were reset.
    multiprocessing.util.register_after_fork(_flush_holder, _register_worker_finalizer)


class _Holder:
    """register_after_fork needs a weak-referenceable object to key its callbacks."""


_flush_holder = _Holder()


def _install_sigterm() -> None:
    global _installed_handler
    if _installed_handler or threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    with contextlib.suppress(ValueError, OSError):
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
            _installed_handler = True


_active = 0
_term_pending = False


@contextlib.contextmanager
def flushing() -> Iterator[None]:
    """Marks a shutdown in progress: a SIGTERM meanwhile waits for it to end.

    Without this, ``multiprocessing.Pool.terminate()``'s SIGTERM, arriving while a worker
    flushes on its way out, would end the worker halfway through the flush.
    """
    global _active
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0 and _term_pending:
            _die_of_sigterm()


def _on_sigterm(signum: int, _frame: FrameType | None) -> None:
    global _term_pending
    if _active:
        _term_pending = True  # the flush under way re-sends it when done
        return
    flush = _flush
    if flush is not None:
        with contextlib.suppress(Exception):
            flush()
    _die_of_sigterm()


def _die_of_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _register_worker_finalizer(_holder: Any) -> None:
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _flush_in_worker, exitpriority=100)
    # Workers keep the default SIGTERM: Pool.terminate() must kill them at once. A Python
    # handler can lose a SIGTERM that lands just after fork (CPython clears pending
    # signals in the child), and the pool would wait for that worker forever.
    with contextlib.suppress(ValueError, OSError):
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _flush_in_worker() -> None:
    flush = _flush
    if flush is not None:
        with contextlib.suppress(Exception):
            flush()
