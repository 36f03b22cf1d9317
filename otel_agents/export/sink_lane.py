"""Sink lanes: each outcome sink behind a bounded queue and a thread of its own.

The outcome processor hands every batch of events to each lane and goes on; the lane's
thread calls its sink. A slow sink holds back only its own lane; a hung one, nothing:

* While a lane is full (``max_events`` waiting) the hand-off waits for room: a sink that
  is merely slower than the agents gets backpressure and loses nothing.
* A sink inside one call for longer than ``stuck_after_s`` counts as stuck: what its full
  lane cannot take is dropped and counted (``dropped``; one warning naming the sink)
  instead of waited for, until the call returns.
* Flush and shutdown are markers in the lane: they take effect after every batch before
  them, so a sink sees its events in order (a PENDING event before its final one), and a
  caller waits for a marker only until its own deadline. ``shutdown`` runs on the lane's
  thread; ``force_flush`` on a short-lived thread beside it (one at a time), so a long
  flush (Kafka waiting for acknowledgements) never stops the lane taking new batches.

Sinks that never block (in memory: the recent-events ring, metrics) say so with
``exports_inline = True`` and are called on the processor's thread instead: no thread of
their own, and ``oa.recent_events()`` sees an event as soon as it is built.

    lane = lane_for(sink, "JsonLinesOutcomeLog", max_events=2048, stuck_after_s=10.0)
    lane.offer(batch)
    lane.wait(lane.request(FLUSH, deadline), deadline)
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from otel_agents import _otel_private

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    from otel_agents.events.outcome import OutcomeEvent

    MarkerKind: TypeAlias = Literal["settle", "flush", "stop"]

_logger = logging.getLogger("otel_agents")

#: Done once the sink has taken every batch handed to it before the marker.
SETTLE: Final = "settle"
#: ... and then returned from ``force_flush``.
FLUSH: Final = "flush"
#: ... and then returned from ``shutdown``; the lane's thread ends.
STOP: Final = "stop"


@runtime_checkable
class OutcomeSink(Protocol):
    """Where OutcomeEvents go: each sink is called on a thread of its own, in order.

    A sink that never blocks (in memory only) may set ``exports_inline = True`` to be
    called on the processor's thread instead. A sink whose ``shutdown()`` needs longer than
    the sink timeout (Kafka: its own shutdown timeout, then spooling) may say how long in
    ``shutdown_budget_s``; shutdown then waits that long. Should not raise (a raise is
    logged once and counted).
    """

    def export_events(self, events: Sequence[OutcomeEvent]) -> None: ...

    def force_flush(self, timeout_millis: int = 30000) -> bool: ...

    def shutdown(self) -> None: ...


class Marker:
    """A flush, settle or stop request waiting in a lane; ``done`` is set when it ran."""

    __slots__ = ("deadline", "done", "kind", "ok")

    def __init__(self, kind: MarkerKind, deadline: float) -> None:
        self.kind = kind
        self.deadline = deadline
        self.done = threading.Event()
        self.ok = True


if TYPE_CHECKING:  # for the type checker only: nothing checks a lane's type at run time

    class Lane(Protocol):
        """What the processor needs of a lane, threaded or inline."""

        sink: OutcomeSink
        name: str
        dropped: int
        failed: int

        def offer(self, batch: list[OutcomeEvent]) -> None: ...

        def request(self, kind: MarkerKind, deadline: float) -> Marker: ...

        def wait(self, marker: Marker, deadline: float) -> bool: ...

        def abandon(self, waited_s: float) -> None: ...

        def runs_on(self, thread: threading.Thread) -> bool: ...

        def before_fork(self, deadline: float) -> None: ...

        def after_fork_in_parent(self) -> None: ...

        def after_fork_in_child(self) -> None: ...


def lane_for(sink: OutcomeSink, name: str, max_events: int, stuck_after_s: float) -> Lane:
    """A thread of its own for ``sink``, unless the sink declares it never blocks."""
    if getattr(sink, "exports_inline", False) is True:
        return InlineLane(sink, name)
    return SinkLane(sink, name, max_events, stuck_after_s)


class _Calls:
    """Calls into one sink, its failures logged once (not once per batch)."""

    def __init__(self, sink: OutcomeSink, name: str) -> None:
        self.sink = sink
        self.name = name
        self.dropped = 0
        #: Events in batches whose ``export_events`` raised.
        self.failed = 0

    def export(self, batch: Sequence[OutcomeEvent]) -> None:
        try:
            self.sink.export_events(batch)
        except Exception:
            self.failed += len(batch)
            if self.failed == len(batch):
                _logger.exception(
                    "otel-agents: sink %s raised; its events are counted in stats() as "
                    "sink_failures (logged once)",
                    self.name,
                )

    def run(self, marker: Marker) -> None:
        try:
            if marker.kind == FLUSH:
                remaining_ms = max(0, int((marker.deadline - time.monotonic()) * 1000))
                marker.ok = bool(self.sink.force_flush(remaining_ms))
            elif marker.kind == STOP:
                self.sink.shutdown()
        except Exception:
            marker.ok = False
            _logger.exception("otel-agents: %s of sink %s failed", marker.kind, self.name)
        marker.done.set()


class InlineLane(_Calls):
    """A sink that never blocks, called on the processor's thread."""

    def offer(self, batch: list[OutcomeEvent]) -> None:
        self.export(batch)

    def request(self, kind: MarkerKind, deadline: float) -> Marker:
        marker = Marker(kind, deadline)
        self.run(marker)
        return marker

    def wait(self, marker: Marker, deadline: float) -> bool:
        return marker.ok

    def abandon(self, waited_s: float) -> None:
        return None

    def runs_on(self, thread: threading.Thread) -> bool:
        return False

    def before_fork(self, deadline: float) -> None:
        return None  # called only with the processor's export lock, which fork holds

    def after_fork_in_parent(self) -> None:
        return None

    def after_fork_in_child(self) -> None:
        return None


class SinkLane(_Calls):
    """One sink's bounded queue of batches and markers, and the thread that serves it."""

    def __init__(self, sink: OutcomeSink, name: str, max_events: int, stuck_after_s: float) -> None:
        super().__init__(sink, name)
        self._max_events = max(1, max_events)
        self._stuck_after = stuck_after_s
        self._warned = False
        self._stopping = False
        self._held_for_fork = False
        self._fresh_state()

    def _fresh_state(self) -> None:
        """Everything of one process: a forked child starts with its own (and no thread)."""
        # Flushes reached by the lane: the one running (on its own thread), the next ones.
        self._flushing = False
        self._next_flushes: list[Marker] = []
        lock = threading.Lock()
        self._has_work = threading.Condition(lock)
        self._has_room = threading.Condition(lock)
        self._items: collections.deque[list[OutcomeEvent] | Marker] = collections.deque()
        self._queued = 0  # events waiting, not counting the batch inside the sink
        self._in_sink = 0  # events of the batch the sink is exporting
        self._since: float | None = None  # when the sink's current call began
        self._thread: threading.Thread | None = None
        # Held while the sink runs: fork waits for it, so no sink is copied mid-write.
        self._fork_guard = threading.Lock()

    # -- the processor's side ------------------------------------------------------------
    def offer(self, batch: list[OutcomeEvent]) -> None:
        """Queue ``batch``; while the lane is full wait for room, unless the sink is stuck."""
        size = len(batch)
        with self._has_work:
            while self._full_for(size) and not self._stopping:
                wait = self._until_stuck()
                if wait <= 0:
                    break
                self._has_room.wait(wait)
            if not self._stopping and not self._full_for(size):
                self._items.append(batch)
                self._queued += size
                if self._thread is None:
                    self._start()
                self._has_work.notify()
                return
            self.dropped += size
            stopped, first = self._stopping, not self._warned
            self._warned = True
        if stopped:
            _logger.debug("otel-agents: %d event(s) for sink %s after shutdown", size, self.name)
        elif first:
            _logger.warning(
                "otel-agents: sink %s has been inside one call for more than %.1f s and its "
                "queue is full (%d events): events for it are dropped while it is stuck, "
                "counted in stats() as sink_dropped.%s; the other sinks are not held up "
                "(logged once)",
                self.name,
                self._stuck_after,
                self._max_events,
                self.name,
            )

    def _full_for(self, size: int) -> bool:
        # An empty lane takes any batch, even one larger than the lane.
        return self._queued > 0 and self._queued + size > self._max_events

    def _until_stuck(self) -> float:
        since = self._since
        if since is None:  # between two calls: it takes the next batch at once
            return self._stuck_after
        return since + self._stuck_after - time.monotonic()

    def request(self, kind: MarkerKind, deadline: float) -> Marker:
        """Queue a marker behind every batch queued so far (joining one already last)."""
        with self._has_work:
            last = self._items[-1] if self._items else None
            if isinstance(last, Marker) and last.kind == kind and kind != STOP:
                last.deadline = max(last.deadline, deadline)
                return last
            marker = Marker(kind, deadline)
            if self._stopping:
                # Shut down: nothing more comes; all is done unless the sink is still busy.
                marker.ok = not self._items and self._since is None
                marker.done.set()
                return marker
            self._items.append(marker)
            if kind == STOP:
                self._stopping = True
                self._has_room.notify_all()  # nothing more is taken: no one waits for room
            if self._thread is None:
                self._start()
            self._has_work.notify()
            return marker

    def wait(self, marker: Marker, deadline: float) -> bool:
        return marker.done.wait(max(0.0, deadline - time.monotonic())) and marker.ok

    def abandon(self, waited_s: float) -> None:
        """Shutdown waited ``waited_s`` in vain: what the sink never took is counted lost."""
        with self._has_work:
            lost = self._queued + self._in_sink
            stop = [item for item in self._items if isinstance(item, Marker)]
            self._items.clear()
            self._items.extend(stop)  # the thread still ends if the sink ever returns
            self._queued = self._in_sink = 0
            self.dropped += lost
        _logger.warning(
            "otel-agents: sink %s did not finish within %.1f s at shutdown; %d event(s) it "
            "had not taken are counted in stats() as sink_dropped.%s",
            self.name,
            waited_s,
            lost,
            self.name,
        )

    def runs_on(self, thread: threading.Thread) -> bool:
        return self._thread is thread

    # -- the lane's thread ---------------------------------------------------------------
    def _start(self) -> None:
        self._thread = threading.Thread(
            target=self._serve, name=f"otel-agents-sink-{self.name}", daemon=True
        )
        self._thread.start()

    def _serve(self) -> None:
        # Under the suppress key for good: a sink's instrumented client (HTTP, Kafka)
        # must not trace its own exports.
        with _otel_private.suppress_instrumentation():
            while self._serve_one():
                pass

    def _serve_one(self) -> bool:
        with self._has_work:
            while not self._items:
                self._has_work.wait()
            item = self._items.popleft()
            if isinstance(item, Marker):
                if item.kind == SETTLE:
                    item.done.set()
                    return True
                if item.kind == FLUSH:
                    self._flush_after_this_point(item)
                    return True
            else:
                self._queued -= len(item)
                self._in_sink = len(item)
                self._has_room.notify()
            self._since = time.monotonic()
        with self._fork_guard:
            if isinstance(item, Marker):
                self.run(item)  # STOP: the sink's shutdown
            else:
                self.export(item)
        with self._has_work:
            self._since = None
            self._in_sink = 0
        return not isinstance(item, Marker)

    def _flush_after_this_point(self, marker: Marker) -> None:
        """Every batch before ``marker`` is exported: flush, beside the lane (lock held)."""
        now = time.monotonic()
        for waiting in self._next_flushes:
            if waiting.deadline <= now:  # its caller has given up: do not keep it
                waiting.ok = False
                waiting.done.set()
        self._next_flushes = [m for m in self._next_flushes if not m.done.is_set()]
        self._next_flushes.append(marker)
        if not self._flushing:
            self._flushing = True
            threading.Thread(
                target=self._flush_until_none_left,
                name=f"otel-agents-flush-{self.name}",
                daemon=True,
            ).start()

    def _flush_until_none_left(self) -> None:
        with _otel_private.suppress_instrumentation():
            while True:
                with self._has_work:
                    group, self._next_flushes = self._next_flushes, []
                    if not group:
                        self._flushing = False
                        return
                # One call serves every flush that reached the lane meanwhile.
                marker = Marker(FLUSH, max(m.deadline for m in group))
                self.run(marker)
                for waiting in group:
                    waiting.ok = marker.ok
                    waiting.done.set()

    # -- fork ----------------------------------------------------------------------------
    def before_fork(self, deadline: float) -> None:
        if self._thread is None or self._until_stuck() <= 0:
            return  # idle, or stuck in a call that may never end: do not wait for it
        self._held_for_fork = self._fork_guard.acquire(
            timeout=max(0.0, deadline - time.monotonic())
        )

    def after_fork_in_parent(self) -> None:
        if self._held_for_fork:
            self._held_for_fork = False
            self._fork_guard.release()

    def after_fork_in_child(self) -> None:
        # The parent's batches are the parent's to deliver; the child's thread starts
        # with the child's first batch.
        self._held_for_fork = False
        self._fresh_state()


#: Time a sink's ``shutdown()`` needs beyond handing over its last batch, if it says so.
SHUTDOWN_BUDGET_ATTRIBUTE = "shutdown_budget_s"


def shutdown_budget_s(sinks: Sequence[OutcomeSink], sink_timeout_s: float) -> float:
    """How long shutdown waits: the sink timeout, or longer if a sink needs longer."""
    declared = [getattr(sink, SHUTDOWN_BUDGET_ATTRIBUTE, 0.0) for sink in sinks]
    return max([sink_timeout_s, *(float(d) for d in declared if isinstance(d, (int, float)))])
