"""The in-memory buffer behind ``oa.recent_events()``: the last N OutcomeEvents."""

from __future__ import annotations

import collections
import os
import threading
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from otel_agents.events.outcome import OutcomeEvent


class RecentEvents:
    """A bounded, thread-safe ring of the latest events (an ``OutcomeSink``).

    buffer = RecentEvents(maxlen=1000)
    buffer.query(count=10, agent="react", status="FAILURE")
    """

    #: Never blocks (memory only): the processor calls it on its own thread, so a query
    #: sees an event as soon as it is built.
    exports_inline: ClassVar[bool] = True

    def __init__(self, maxlen: int = 1000) -> None:
        self._events: collections.deque[OutcomeEvent] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()
        # A query on another thread may hold the lock at fork: the child needs its own.
        # Weakly: the buffer must not live on after its configure() is shut down.
        ref = weakref.WeakMethod(self._fresh_lock_in_child)
        os.register_at_fork(after_in_child=lambda: (method := ref()) and method())

    def _fresh_lock_in_child(self) -> None:
        self._lock = threading.Lock()

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        with self._lock:
            self._events.extend(events)

    def query(
        self,
        count: int = 10,
        agent: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        workflow_id: str | None = None,
    ) -> list[OutcomeEvent]:
        """The latest ``count`` matching events, oldest first."""
        status_text = None if status is None else str(getattr(status, "value", status))
        with self._lock:
            snapshot = list(self._events)
        matches: list[OutcomeEvent] = []
        for event in reversed(snapshot):
            if len(matches) >= count:
                break
            if agent is not None and event.name != agent and event.agent_name != agent:
                continue
            if status_text is not None and event.status != status_text:
                continue
            if kind is not None and event.kind != kind:
                continue
            if workflow_id is not None and event.workflow_id != workflow_id:
                continue
            matches.append(event)
        matches.reverse()
        return matches

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        return None
