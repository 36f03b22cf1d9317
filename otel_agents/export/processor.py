"""The outcome processor: finished agent spans → OutcomeEvents → sinks, off the hot path.

Unlike the SDK's ``BatchSpanProcessor`` it sees every *recorded* outcome span, sampled or
not (so outcomes survive trace sampling), counts every span it cannot take, and builds
events on its own thread: the agent's thread only appends the span to a queue. With
``emit_pending`` (``OTEL_AGENTS_EMIT_PENDING``) started spans are queued too, and the worker
sends a PENDING event for each one still running when it gets to it.

A full queue is backpressure, not loss: the ending call exports a batch itself, or waits
for whoever is exporting to make room. Each sink has a lane of its own
(``otel_agents.export.sink_lane``), so building events never waits on a sink's I/O and a
hung sink holds back neither the others nor flush, shutdown or exit.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from otel_agents import _otel_private, semconv
from otel_agents.env import PROCESSOR_SETTINGS, setting_default, settings_from_env
from otel_agents.export.sessions import stamp_ids
from otel_agents.export.sink_lane import (
    FLUSH,
    SETTLE,
    STOP,
    InlineLane,
    OutcomeSink,
    lane_for,
    shutdown_budget_s,
)
from otel_agents.ids import EVENT_TYPE_OUTCOME, EVENT_TYPE_PENDING

if TYPE_CHECKING:
    # Bound at run time with the first batch (_load_event_model); the roll-up is built then.
    from otel_agents.events.outcome import OutcomeEvent
    from otel_agents.export.rollup import Ready, RunTree
    from otel_agents.export.sink_lane import Lane, MarkerKind

__all__ = ["OutcomeSink", "OutcomeSpanProcessor"]

_logger = logging.getLogger("otel_agents")
# A waiting thread gets the GIL only after the switch interval (5 ms) unless the holder
# releases it. While the worker keeps up, it offers the GIL after each turn of ~1 ms
# building a batch (the clock read every few spans): an agent thread waits about that
# long at most, and the worker's work is not cut into more pieces than that (each
# hand-off costs both threads a context switch and their caches). Behind by more than
# _BEHIND_BATCHES batches, it keeps the interpreter's own turns (the switch interval,
# as any thread) until it has caught up: offering after 1 ms against the agents' 5 ms
# would give it a sixth of the GIL, too little for a tight loop, and the spans piling up
# would cost memory, cache misses and garbage-collector passes over them.
_SPANS_PER_CLOCK_READ = 16
_GIL_TURN_S = 0.001
_BEHIND_BATCHES = 1
_offer_gil = functools.partial(time.sleep, 0)
_clock = time.perf_counter
_OPERATION = semconv.GEN_AI_OPERATION_NAME
_OUTCOME_OPERATIONS = semconv.OUTCOME_OPERATIONS
_SCOPE = semconv.INSTRUMENTATION_SCOPE
# A call that finds the queue full waits this long for room (plus each threaded sink's
# stuck deadline, which a hand-off may have to wait out) before it counts a drop.
_ROOM_WAIT_S = 5.0
# Fork waits this long for an export or a sink call in flight, never longer.
_FORK_WAIT_S = 2.0


class OutcomeSpanProcessor(SpanProcessor):
    """Turns finished outcome spans into OutcomeEvents for ``sinks`` on a worker thread.

    provider.add_span_processor(OutcomeSpanProcessor([RecentEvents(), my_sink]))

    ``run_tree`` may be a function that makes the tree: it is called with the first batch
    (on whichever thread exports it), so the roll-up's modules load then, not with the
    processor. The event model loads with the first batch too.
    """

    def __init__(
        self,
        sinks: Sequence[OutcomeSink],
        max_queue_size: int = setting_default("max_queue_size"),
        max_batch_size: int = 512,
        export_interval_ms: int = setting_default("export_interval_ms"),
        max_value_length: int = setting_default("max_value_length"),
        emit_pending: bool = setting_default("emit_pending"),
        run_tree: RunTree | Callable[[], RunTree] | None = None,
        stamp_session_ids: bool = False,
        sink_queue_size: int = setting_default("sink_queue_size"),
        sink_timeout_ms: int = setting_default("sink_timeout_ms"),
    ) -> None:
        self._sinks = list(sinks)
        self._sink_timeout = sink_timeout_ms / 1000
        self._shutdown_budget = shutdown_budget_s(self._sinks, self._sink_timeout)
        self._lanes = _lanes_for(self._sinks, sink_queue_size, self._sink_timeout)
        threaded = sum(not isinstance(lane, InlineLane) for lane in self._lanes)
        self._room_wait = _ROOM_WAIT_S + threaded * self._sink_timeout
        # Signalled after every batch taken from the queue: callers waiting for room.
        self._room = threading.Condition(threading.Lock())
        self._batches_done = 0
        # Issue 10 seam: with a run tree every recorded span is queued (a bare append, as
        # in the SDK's BatchSpanProcessor) and classified on the worker, so other
        # libraries' agent and LLM spans become events or roll up into them.
        self._tree_to_build = run_tree if callable(run_tree) else None
        self._tree = cast("RunTree", _TreeOnFirstBatch()) if callable(run_tree) else run_tree
        self._prepared = False  # event model loaded, tree built: by the first batch
        self._stamp_ids = stamp_session_ids
        self._next_expiry = 0.0
        self._max_queue_size = max_queue_size
        self._max_batch_size = max_batch_size
        self._interval = export_interval_ms / 1000
        self._max_value_length = max_value_length
        self._queue: collections.deque[ReadableSpan] = collections.deque()
        # In-flight (PENDING) events: started spans wait here for the worker.
        self._emit_pending = emit_pending
        self._started: collections.deque[Span] = collections.deque()
        self.pending_emitted = 0
        self.pending_dropped = 0
        self.pending_superseded = 0
        self._wake = threading.Event()
        #: The worker sleeps without a timer while nothing is queued (``_run``).
        self._idle = False
        self._export_lock = threading.Lock()
        self._held_for_fork = False
        self._shutdown = False
        self.processed = 0
        self.dropped = 0
        self.failed = 0
        self.caller_exports = 0
        self._last_drop_log = 0.0
        self._worker = self._start_worker()
        _register_fork_handler(self)

    @classmethod
    def from_env(cls, sinks: Sequence[OutcomeSink], **options: Any) -> OutcomeSpanProcessor:
        """A processor whose queue, interval, value length and sink queues come from the
        ``OTEL_AGENTS_*`` variables, read and checked as ``configure()`` reads them (an
        invalid value raises ``ConfigurationError`` here); ``options`` override them.

        provider.add_span_processor(OutcomeSpanProcessor.from_env([my_sink]))
        """
        return cls(sinks, **{**settings_from_env(PROCESSOR_SETTINGS), **options})

    @property
    def sinks(self) -> list[OutcomeSink]:
        return list(self._sinks)

    def sink_drops(self) -> dict[str, int]:
        """Events each sink never took (stuck while its lane was full, or at shutdown)."""
        return {lane.name: lane.dropped for lane in self._lanes}

    def sink_raised(self) -> int:
        """Events in batches whose ``export_events`` raised (logged once per sink)."""
        return sum(lane.failed for lane in self._lanes)

    def rollup_stats(self) -> dict[str, int]:
        """LLM calls rolled up, those with no price, and runs whose parent never ended."""
        tree = self._tree
        if tree is None:
            return {}
        return {
            "llm_calls": tree.llm_calls,
            "unpriced_llm_calls": tree.unpriced_llm_calls,
            "rollup_pending": tree.pending,
            "rollup_expired": tree.expired,
        }

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- SpanProcessor --------------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if self._stamp_ids:
            stamp_ids(span, parent_context)
        # Opt-in PENDING events. Only an append here: the event is built and sent by the
        # worker, so the agent's thread pays no serialisation and no syscall.
        if not self._emit_pending:
            return
        # Reading an attribute of a live span takes its lock (~1 µs); the scope name is a
        # plain field. Our decorators' spans all carry our scope; the worker checks the
        # operation before building anything.
        scope = span.instrumentation_scope
        if scope is None or scope.name != _SCOPE:
            return
        if len(self._started) >= self._max_queue_size or self._shutdown:
            # A PENDING event is a preview, not an outcome: skip it and count it, and
            # leave the hot path alone (the final event still comes).
            self.pending_dropped += 1
            return
        started = self._started
        started.append(span)
        if len(started) == 1 and self._idle:
            self._wake_idle_worker()

    def on_end(self, span: ReadableSpan) -> None:
        if self._shutdown:
            return  # still attached to a provider we could not detach from: hold nothing
        if self._tree is None and not _is_action(span):
            return
        queue = self._queue
        if len(queue) >= self._max_queue_size and not self._make_room():
            self._count_drop()
            return
        queue.append(span)
        # Waking the worker costs a futex syscall: do it once per batch, not per span,
        # and once when the first span ends after the worker went idle.
        size = len(queue)
        if size >= self._max_batch_size:
            self._wake.set()
        elif size == 1 and self._idle:
            self._wake_idle_worker()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export what is queued, then flush every sink, in parallel, by one deadline.

        False if some sink did not confirm in time (a hung sink never holds it longer).
        """
        deadline = time.monotonic() + timeout_millis / 1000
        self._export_queued(deadline)
        return self._await_lanes(FLUSH, deadline)

    def shutdown(self) -> None:
        """Export what is queued and shut every sink down, within the sink timeout in all
        (or a sink's ``shutdown_budget_s``, if longer).

        A sink still busy at the deadline is left behind (its thread is a daemon): what it
        never took is counted in ``sink_drops()`` and named in one warning.
        """
        if self._shutdown:
            return
        self._shutdown = True
        deadline = time.monotonic() + self._shutdown_budget
        self._wake.set()
        self._signal_room()  # callers waiting for room stop waiting: nothing more is taken
        worker = self._worker
        if worker.is_alive() and worker is not threading.current_thread():
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        self._export_queued(deadline)
        # Taking the lock once more also waits out a caller's batch still being built.
        if self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            try:
                # Deferred events of unfinished runs (a tree that saw no batch holds none).
                if self._tree is not None and (self._prepared or self._queue):
                    self._prepare()
                    self._export_tree_batch(self._tree)
            finally:
                self._export_lock.release()
        self._await_lanes(STOP, deadline, abandon_late=True)

    def _await_lanes(self, kind: MarkerKind, deadline: float, abandon_late: bool = False) -> bool:
        # Every lane gets its marker first, then each is waited for until the one deadline:
        # the sinks work in parallel. A lane's own thread (a sink flushing the processor
        # that feeds it) is not waited for: it runs the marker once it returns.
        current = threading.current_thread()
        lanes = [lane for lane in self._lanes if not lane.runs_on(current)]
        requests = [(lane, lane.request(kind, deadline)) for lane in lanes]
        ok = True
        start = time.monotonic()
        for lane, marker in requests:
            if not lane.wait(marker, deadline):
                ok = False
                if abandon_late and not marker.done.is_set():
                    lane.abandon(time.monotonic() - start)
        return ok

    def _make_room(self) -> bool:
        """The queue is full: export a batch on this thread, or wait until one was taken.

        The lock is only tried, never waited for: whoever holds it is exporting, and the
        room it makes is signalled after each batch. Building a batch costs the caller a
        few milliseconds of CPU (sinks run on their own threads); losing nothing when
        agents outpace the worker, e.g. a tight loop or many threads, is worth it. Once a
        batch was taken the caller appends even if other threads filled the room first:
        no thread waits for more than one batch (no starvation), and the queue exceeds
        its size by at most one span per thread. Only if no batch is taken for
        ``_room_wait`` seconds (the worker stuck) is the span dropped.
        """
        queue, room = self._queue, self._room
        seen = self._batches_done
        deadline = time.monotonic() + self._room_wait
        while not self._shutdown:
            if self._export_lock.acquire(blocking=False):
                try:
                    self._export_one()
                finally:
                    self._export_lock.release()
                self.caller_exports += 1
                return True
            with room:
                if self._batches_done == seen and len(queue) >= self._max_queue_size:
                    room.wait(deadline - time.monotonic())
                if self._batches_done != seen or len(queue) < self._max_queue_size:
                    return True
            if time.monotonic() >= deadline:
                return False
        return False

    def _signal_room(self) -> None:
        with self._room:
            self._batches_done += 1
            self._room.notify_all()

    # -- worker ----------------------------------------------------------------------
    def drain(self, deadline: float | None = None) -> bool:
        """Export everything queued now, on this thread.

        With a ``deadline``, also wait (until then) for every sink to have taken it, not
        flushed; in-memory sinks (``oa.recent_events()``) have it at once either way.
        """
        self._export_queued(deadline)
        return True if deadline is None else self._await_lanes(SETTLE, deadline)

    def _export_queued(self, deadline: float | None = None) -> None:
        while self._queue or self._started:
            if deadline is None:
                self._export_lock.acquire()
            elif not self._export_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return
            # One batch per lock hold, so a caller helping out never waits long.
            try:
                self._export_one()
            finally:
                self._export_lock.release()
            if deadline is not None and time.monotonic() > deadline:
                return

    def _export_one(self) -> None:
        """One batch (PENDING events first), handed to the sinks; under the export lock."""
        if not self._prepared:
            self._prepare()
        try:
            if self._started:
                # Before the finished batch: a span's PENDING event must reach each sink
                # ahead of its final event (same Kafka key, so same partition order).
                self._export_pending_batch()
            self._export_batch()
        finally:
            self._signal_room()

    def _export_batch(self) -> None:
        if self._tree is not None:
            self._export_tree_batch(self._tree)
            return
        queue = self._queue
        batch: list[OutcomeEvent] = []
        limit = self._max_value_length
        behind = _BEHIND_BATCHES * self._max_batch_size
        turn_ends = _clock() + _GIL_TURN_S
        while queue and len(batch) < self._max_batch_size:
            span = queue.popleft()
            try:
                batch.append(OutcomeEvent.from_span(span, max_value_length=limit))
            except Exception:
                self.failed += 1
                _logger.exception("otel-agents: could not build an OutcomeEvent from %s", span.name)
            if not len(batch) % _SPANS_PER_CLOCK_READ and _clock() >= turn_ends:
                turn_ends = _next_turn(queue, behind)
        if not batch:
            return
        self.processed += len(batch)
        self._to_sinks(batch)

    def _export_tree_batch(self, tree: RunTree) -> None:
        queue = self._queue
        batch: list[OutcomeEvent] = []
        taken = 0
        behind = _BEHIND_BATCHES * self._max_batch_size
        turn_ends = _clock() + _GIL_TURN_S
        while queue and taken < self._max_batch_size:
            span = queue.popleft()
            taken += 1
            try:
                ready = tree.process(span)
            except Exception:
                self.failed += 1
                _logger.exception("otel-agents: could not read span %s", span.name)
                continue
            # Built at once, not after the whole batch was read: what a span leaves behind
            # is freed as it goes, so fewer objects pile up for the garbage collector.
            if ready:
                self._build_events(ready, batch)
            if not taken % _SPANS_PER_CLOCK_READ and _clock() >= turn_ends:
                turn_ends = _next_turn(queue, behind)
        now = time.monotonic()
        if now >= self._next_expiry or self._shutdown:
            self._next_expiry = now + 1.0
            self._build_events(tree.release_all() if self._shutdown else tree.expire(now), batch)
        if batch:
            self.processed += len(batch)
            self._to_sinks(batch)

    def _build_events(self, ready: list[Ready], batch: list[OutcomeEvent]) -> None:
        limit = self._max_value_length
        from_span, outcome = OutcomeEvent.from_span, EVENT_TYPE_OUTCOME  # positional: faster
        for item in ready:
            try:
                batch.append(from_span(item.span, outcome, limit, item.attributes, item.events))
            except Exception:
                self.failed += 1
                _logger.exception(
                    "otel-agents: could not build an OutcomeEvent from %s", item.span.name
                )

    def _export_pending_batch(self) -> None:
        started = self._started
        batch: list[OutcomeEvent] = []
        limit = self._max_value_length
        while started and len(batch) < self._max_batch_size:
            span = started.popleft()
            if span.end_time is not None:
                # Already finished: its final event, queued behind, supersedes this one.
                self.pending_superseded += 1
                continue
            attributes = span.attributes
            if not attributes or attributes.get(_OPERATION) not in _OUTCOME_OPERATIONS:
                continue  # e.g. a feedback span: same scope, not an action
            try:
                batch.append(
                    OutcomeEvent.from_span(
                        span, event_type=EVENT_TYPE_PENDING, max_value_length=limit
                    )
                )
            except Exception:
                self.failed += 1
                _logger.exception("otel-agents: could not build a PENDING event from %s", span.name)
        if not batch:
            return
        self.pending_emitted += len(batch)
        self._to_sinks(batch)

    def _prepare(self) -> None:
        """What only building events needs, with the first batch (under the export lock):
        an auto-instrumented start-up that ends no action never loads it (~10 M
        instructions: the event model with orjson, the roll-up, adapters and prices)."""
        if self._prepared:
            return
        _load_event_model()
        build, self._tree_to_build = self._tree_to_build, None
        if build is not None:
            try:
                self._tree = build()
            except Exception:
                # Outcomes still flow; other libraries' spans are not read (on_end queues
                # no more of them, and those queued for the tree are let go).
                self._tree = None
                self._let_go_of_non_outcome_spans()
                _logger.exception("otel-agents: could not set up the roll-up of other spans")
        self._prepared = True

    def _let_go_of_non_outcome_spans(self) -> None:
        queue = self._queue
        for _ in range(len(queue)):  # those queued so far (on_end now queues outcomes only)
            span = queue.popleft()
            if _is_action(span):
                queue.append(span)

    def _to_sinks(self, batch: list[OutcomeEvent]) -> None:
        # Under the suppress key: an inline sink's instrumented client must not trace the
        # export (lanes' threads hold the key themselves).
        with _otel_private.suppress_instrumentation():
            for lane in self._lanes:
                lane.offer(batch)

    def _run(self) -> None:
        quiet = False  # a whole interval went by with nothing to do
        while not self._shutdown:
            if quiet and self._nothing_to_do():
                # Only then idle: at a steady rate the worker keeps its one wake-up per
                # interval, and the agent's thread never has to wake it.
                self._sleep_until_work()
                quiet = False
                continue
            self._wake.wait(self._interval)
            self._wake.clear()
            quiet = self._nothing_to_do()
            try:
                self._export_queued()
            except Exception:
                _logger.exception("otel-agents: outcome worker error")

    def _nothing_to_do(self) -> bool:
        """No span queued, none started for a PENDING event, nothing the roll-up holds."""
        return not (self._queue or self._started or (self._tree is not None and self._tree.pending))

    def _sleep_until_work(self) -> None:
        """Idle: no timer wake-ups (each costs ~0.1 ms of CPU on a virtual machine) until
        ``on_start``/``on_end`` announce a span, ``shutdown`` or fork. Announced first,
        checked again after: a span queued in between is seen here or wakes the wait
        (``on_end`` appends before it reads ``_idle``; the GIL orders both)."""
        self._idle = True
        if self._nothing_to_do() and not self._shutdown:
            self._wake.wait()
        self._idle = False
        self._wake.clear()

    def _wake_idle_worker(self) -> None:
        self._idle = False  # one wake-up, however many threads end spans meanwhile
        self._wake.set()

    def _start_worker(self) -> threading.Thread:
        worker = threading.Thread(target=self._run, name="otel-agents-outcomes", daemon=True)
        worker.start()
        return worker

    def _before_fork(self) -> None:
        # No export and no sink call in flight while the process is copied: a sink's own
        # lock (the recent buffer's, the log's) is then free in the child. Bounded, so
        # fork never hangs (a sink stuck in a call is not waited for at all).
        deadline = time.monotonic() + _FORK_WAIT_S
        self._held_for_fork = self._export_lock.acquire(timeout=_FORK_WAIT_S)
        for lane in self._lanes:
            lane.before_fork(deadline)

    def _after_fork_in_parent(self) -> None:
        for lane in self._lanes:
            lane.after_fork_in_parent()
        if self._held_for_fork:
            self._held_for_fork = False
            self._export_lock.release()
            self._signal_room()  # callers that waited for room while fork held the lock

    def _after_fork_in_child(self) -> None:
        # Threads do not survive fork: the child needs its own worker, lanes and locks.
        self._held_for_fork = False
        self._queue = collections.deque()
        self._started = collections.deque()
        self._wake = threading.Event()
        self._idle = False
        self._export_lock = threading.Lock()
        self._room = threading.Condition(threading.Lock())
        for lane in self._lanes:
            lane.after_fork_in_child()
        if not self._shutdown:
            self._worker = self._start_worker()

    def _count_drop(self) -> None:
        self.dropped += 1
        now = time.monotonic()
        if now - self._last_drop_log > 10:
            self._last_drop_log = now
            _logger.warning(
                "otel-agents: outcome queue full (%d spans); %d outcome span(s) dropped so "
                "far. Raise OTEL_AGENTS_MAX_QUEUE_SIZE or check the sinks' speed.",
                self._max_queue_size,
                self.dropped,
            )


def _next_turn(queue: collections.deque[ReadableSpan], behind: int) -> float:
    """A turn of building ended: offer the GIL if no more than ``behind`` spans wait (see
    _GIL_TURN_S); when the next turn ends."""
    if len(queue) <= behind:
        _offer_gil()
    return _clock() + _GIL_TURN_S


class _TreeOnFirstBatch:
    """Stands for a run tree until the first batch builds it: ``on_end`` queues every
    recorded span, as for a tree, and ``rollup_stats`` reads a tree that saw nothing."""

    llm_calls = unpriced_llm_calls = pending = expired = 0


def _load_event_model() -> None:
    """Bind ``OutcomeEvent`` for the builders above, on the first batch (idempotent)."""
    global OutcomeEvent
    from otel_agents.events.outcome import OutcomeEvent


def _lanes_for(sinks: Sequence[OutcomeSink], queue_size: int, timeout_s: float) -> list[Lane]:
    """One lane per sink, named by its class (``#2`` and on for a repeated class)."""
    lanes: list[Lane] = []
    seen: collections.Counter[str] = collections.Counter()
    for sink in sinks:
        name = type(sink).__name__
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        lanes.append(lane_for(sink, name, queue_size, timeout_s))
    return lanes


def _is_action(span: ReadableSpan) -> bool:
    """An agent, tool or workflow span of ours: the spans that become events without a
    run tree."""
    attributes = span.attributes
    if attributes and attributes.get(_OPERATION) in _OUTCOME_OPERATIONS:
        return True
    return _is_ours(span)


def _is_ours(span: ReadableSpan) -> bool:
    """An action span of ours whose operation attribute the SDK's limits evicted or cut."""
    scope = span.instrumentation_scope
    return (
        scope is not None
        and scope.name == _SCOPE
        and semconv.operation_of_span_name(span.name) is not None
    )


def _register_fork_handler(processor: OutcomeSpanProcessor) -> None:
    if not hasattr(os, "register_at_fork"):
        return
    before = weakref.WeakMethod(processor._before_fork)
    parent = weakref.WeakMethod(processor._after_fork_in_parent)
    child = weakref.WeakMethod(processor._after_fork_in_child)

    def call(ref: weakref.WeakMethod[Any]) -> Callable[[], None]:
        def run() -> None:
            method: Any = ref()
            if method is not None:
                method()

        return run

    # Registered in this order, "before" hooks run in reverse: ours after the log's,
    # which is fine (the log's lock is taken without ours held, and briefly).
    os.register_at_fork(
        before=call(before), after_in_parent=call(parent), after_in_child=call(child)
    )
