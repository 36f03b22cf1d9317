"""The live feed: a source read on a thread, the monitor's tally fed on the event loop.

    feed = LiveFeed(KafkaSource(servers, topics), MonitorState(), hub, settings)
    await feed.start()        # in the server's lifespan
    feed.agents()             # what GET /api/v1/agents answers

One reader thread polls the source (Kafka or the local logs, exactly the monitor's
sources) and passes batches through a bounded queue to the event loop, where each message
is decoded once, counted once by ``MonitorState`` and turned into the messages clients
subscribed to. When the loop cannot keep up, the queue fills and the reader waits, so the
source (Kafka) holds the backlog rather than this process's memory.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import orjson

from otel_agents.monitor.app import EventSource
from otel_agents.monitor.decode import FEEDBACK, OUTCOME, decode
from otel_agents.monitor.state import MonitorState
from otel_agents.serve import messages
from otel_agents.serve.figures import agent_figures, learning_figures
from otel_agents.serve.hub import Hub
from otel_agents.serve.settings import ServeSettings
from otel_agents.serve.store import ActionStore

_logger = logging.getLogger("otel_agents.serve")
_BATCHES_QUEUED = 64
_RECENT_THOUGHTS = 200
_SNAPSHOT_ACTIONS = 50
_LAG_EVERY_S = 1.0
#: Messages handled between two turns of the event loop.
_SLICE = 32


class LiveFeed:
    """Owns the source, the tally (``MonitorState``), the action store and the sequence."""

    def __init__(
        self, source: EventSource, state: MonitorState, hub: Hub, settings: ServeSettings
    ) -> None:
        self.source = source
        self.state = state
        self.hub = hub
        self.settings = settings
        self.store = ActionStore(settings.recent_actions)
        self.seq = 0
        self.thoughts: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=_RECENT_THOUGHTS
        )
        self.lag: int | None = None
        self.caught_up = False
        self.source_status = ""
        self._changed_agents: set[str] = set()
        self._feedback_waiters: dict[str, asyncio.Future[None]] = {}
        self._batches: queue.Queue[list[bytes]] = queue.Queue(_BATCHES_QUEUED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # -- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._consume()),
            asyncio.create_task(self._learning_ticks()),
            asyncio.create_task(self._heartbeats()),
        ]
        self._thread = threading.Thread(target=self._read, name="otel-agents-serve-feed")
        self._thread.daemon = True
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10.0)
        self.source.close()

    @property
    def reading(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the reader thread -----------------------------------------------------------------
    def _read(self) -> None:
        lag_due = 0.0
        lag_of = getattr(self.source, "lag", None)
        while not self._stop.is_set():
            try:
                batch = self.source.poll(0.05)
                now = time.monotonic()
                if now >= lag_due:
                    lag_due = now + _LAG_EVERY_S
                    self.lag = lag_of() if lag_of is not None else None
                    self.source_status = self.source.status()
                if not batch:
                    self.caught_up = self.caught_up or self.source.caught_up()
                    continue
            except Exception:
                _logger.exception("otel-agents serve: reading the source failed; retrying")
                self._stop.wait(1.0)
                continue
            while not self._stop.is_set():
                try:
                    self._batches.put(batch, timeout=0.2)
                    break
                except queue.Full:
                    continue
            loop = self._loop
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(self._ready.set)

    # -- on the event loop -----------------------------------------------------------------
    async def _consume(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while True:
                try:
                    batch = self._batches.get_nowait()
                except queue.Empty:
                    break
                for start in range(0, len(batch), _SLICE):
                    for payload in batch[start : start + _SLICE]:
                        try:
                            self.ingest(payload)
                        except Exception:
                            _logger.exception("otel-agents serve: a message could not be handled")
                    # Let the clients' writers send between slices: a burst then fills no
                    # queue of a client that reads, however large the source's batch.
                    await asyncio.sleep(0)
                self._batches.task_done()

    def ingest(self, payload: bytes | str | None) -> None:
        """Count one raw message in the tally and send what it means to subscribers."""
        kind, data = decode(payload)
        self.state.accept(kind, data)
        if data is None:
            return
        if kind == OUTCOME:
            self._on_outcome(data)
        elif kind == FEEDBACK:
            self._on_feedback(data)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _on_outcome(self, data: Mapping[str, Any]) -> None:
        seq = self.next_seq()
        topics = messages.topics_of(data)
        action = messages.project_action(data, seq)
        action["topics"] = list(topics)
        if action.get("status") != "PENDING":
            self.store.add(action)
            if action["kind"] == "agent":
                self._changed_agents.add(action["agent"])
        self._publish(topics, messages.action_message(seq, action))
        for thought in messages.thought_messages(seq, data):
            thought["thought"]["topics"] = list(topics)
            self.thoughts.append(thought["thought"])
            self._publish(topics, thought)

    def _on_feedback(self, data: Mapping[str, Any]) -> None:
        event_id = str(data.get("event_id"))
        agent = data.get("agent_name") or self.state.agent_of_event(event_id)
        agent = agent if isinstance(agent, str) else None
        feedback = messages.project_feedback(data, agent)
        topics = ("all", f"agent:{agent}") if agent else ("all",)
        if agent is not None:
            self._changed_agents.add(agent)
        self._publish(topics, messages.feedback_message(self.next_seq(), feedback))
        waiter = self._feedback_waiters.pop(str(data.get("feedback_id")), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _publish(self, topics: tuple[str, ...], message: dict[str, Any]) -> None:
        if self.hub.clients:
            self.hub.publish(topics, orjson.dumps(message))

    async def _learning_ticks(self) -> None:
        while True:
            await asyncio.sleep(self.settings.learning_interval_s)
            changed, self._changed_agents = self._changed_agents, set()
            for name in changed:
                stats = self.state.agents.get(name)
                if stats is not None:
                    message = messages.learning_message(self.next_seq(), learning_figures(stats))
                    self._publish(("all", f"agent:{name}"), message)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_s)
            for client in list(self.hub.clients):
                client.put_message(messages.heartbeat_message(self.seq, client.dropped, self.lag))

    # -- feedback round trip ---------------------------------------------------------------
    def expect_feedback(self, feedback_id: str) -> asyncio.Future[None]:
        """A future set when feedback ``feedback_id`` comes back from the source."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._feedback_waiters[feedback_id] = future
        return future

    def forget_feedback(self, feedback_id: str) -> None:
        self._feedback_waiters.pop(feedback_id, None)

    # -- reading ---------------------------------------------------------------------------
    def in_flight_by_agent(self) -> collections.Counter[str]:
        return collections.Counter(
            item.name for item in self.state.in_flight.values() if item.kind == "agent"
        )

    def agents(self) -> list[dict[str, Any]]:
        running = self.in_flight_by_agent()
        return [
            agent_figures(stats, running[name]) for name, stats in sorted(self.state.agents.items())
        ]

    def agent(self, name: str) -> dict[str, Any] | None:
        stats = self.state.agents.get(name)
        if stats is None:
            return None
        figures = agent_figures(stats, self.in_flight_by_agent()[name])
        figures["learning"] = learning_figures(stats)
        return figures

    def learning(self, name: str) -> dict[str, Any] | None:
        stats = self.state.agents.get(name)
        return None if stats is None else learning_figures(stats)

    def in_flight(self, topics: frozenset[str] | None = None) -> list[dict[str, Any]]:
        rows = []
        for item, seconds in self.state.running():
            if topics is None or "all" in topics or f"agent:{item.name}" in topics:
                rows.append({"name": item.name, "kind": item.kind, "running_s": round(seconds, 3)})
        return rows

    def snapshot(self, topics: frozenset[str]) -> dict[str, Any]:
        """What a client subscribing to ``topics`` sees first; deltas follow."""
        agents = self.agents()
        if "all" not in topics:
            agents = [a for a in agents if f"agent:{a['name']}" in topics]
        thoughts = [
            t for t in self.thoughts if "all" in topics or not topics.isdisjoint(t["topics"])
        ]
        return {
            "type": "snapshot",
            "seq": self.seq,
            "topics": sorted(topics),
            "agents": agents,
            "actions": self.store.recent(topics, _SNAPSHOT_ACTIONS),
            "in_flight": self.in_flight(topics),
            "thoughts": thoughts[-_SNAPSHOT_ACTIONS:],
        }

    def readiness(self) -> dict[str, Any]:
        # Caught up: the source says so and every batch it gave is counted in the tally.
        handled = self._batches.unfinished_tasks == 0
        ready = self.reading and not self.source_status
        if hasattr(self.source, "lag"):
            ready = ready and self.lag is not None  # partitions assigned
            caught_up = self.lag == 0 and handled
        else:
            caught_up = self.caught_up and handled
            ready = ready and caught_up
        return {
            "ready": ready,
            "source": self.source.describe(),
            "status": self.source_status or None,
            "lag": self.lag,
            "caught_up": caught_up,
            "messages": self.state.messages,
            "clients": len(self.hub.clients),
        }
