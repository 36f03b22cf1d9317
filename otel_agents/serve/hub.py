"""Fan-out to WebSocket clients: each client has a bounded queue and a writer of its own.

    hub = Hub(); client = hub.connect(send_text, queue_size=1000, max_frame=500)
    hub.subscribe(client, {"agent:planner"})
    hub.publish(("all", "agent:planner"), orjson.dumps(message))

A message is encoded once, whatever the number of clients. A client that reads slowly
only fills its own queue: when full, its oldest message is dropped and counted, and the
next frame it gets starts with a ``dropped`` message saying how many. Publishing never
waits on a socket, so a stalled client slows neither the others nor the consumer.
Every frame is a JSON array of one or more messages, in order.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import orjson

from otel_agents.serve import messages

SendText = Callable[[str], Awaitable[None]]


class Client:
    """One connected socket: its subscriptions, its queue, its drop counters."""

    def __init__(self, send_text: SendText, queue_size: int, max_frame: int) -> None:
        self._send_text = send_text
        self._queue: collections.deque[bytes] = collections.deque()
        self._size = queue_size
        self._max_frame = max_frame
        self._wake = asyncio.Event()
        self.topics: set[str] = set()
        self.dropped = 0
        self._dropped_unreported = 0
        self.sent = 0
        self.closed = False

    def put(self, encoded: bytes) -> None:
        if len(self._queue) >= self._size:
            self._queue.popleft()
            self.dropped += 1
            self._dropped_unreported += 1
        self._queue.append(encoded)
        self._wake.set()

    def put_message(self, message: dict[str, object]) -> None:
        self.put(orjson.dumps(message))

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def run_writer(self, current_seq: Callable[[], int]) -> None:
        """Send queued messages until ``close()``; a send that fails ends the writer."""
        queue = self._queue
        while not self.closed:
            await self._wake.wait()
            self._wake.clear()
            while queue and not self.closed:
                count = min(len(queue), self._max_frame)
                batch = [queue.popleft() for _ in range(count)]
                if self._dropped_unreported:
                    notice = messages.dropped_message(
                        current_seq(), self._dropped_unreported, self.dropped
                    )
                    batch.insert(0, orjson.dumps(notice))
                    self._dropped_unreported = 0
                frame = b"[" + b",".join(batch) + b"]"
                await self._send_text(frame.decode())
                self.sent += count

    def close(self) -> None:
        self.closed = True
        self._queue.clear()
        self._wake.set()


class Hub:
    """Who is subscribed to what; ``publish`` hands a message to each matching client."""

    def __init__(self) -> None:
        self.clients: set[Client] = set()
        self._by_topic: dict[str, set[Client]] = collections.defaultdict(set)

    def connect(self, send_text: SendText, queue_size: int, max_frame: int) -> Client:
        client = Client(send_text, queue_size, max_frame)
        self.clients.add(client)
        return client

    def subscribe(self, client: Client, topics: Iterable[str]) -> None:
        for topic in topics:
            client.topics.add(topic)
            self._by_topic[topic].add(client)

    def unsubscribe(self, client: Client, topics: Iterable[str]) -> None:
        for topic in topics:
            client.topics.discard(topic)
            subscribers = self._by_topic.get(topic)
            if subscribers is not None:
                subscribers.discard(client)
                if not subscribers:
                    del self._by_topic[topic]

    def disconnect(self, client: Client) -> None:
        self.unsubscribe(client, list(client.topics))
        self.clients.discard(client)
        client.close()

    def publish(self, topics: Iterable[str], encoded: bytes) -> None:
        matched: list[set[Client]] = []
        for topic in topics:
            subscribers = self._by_topic.get(topic)
            if subscribers:
                matched.append(subscribers)
        if not matched:
            return
        # A client on two matching topics (all + agent:x) still gets the message once.
        targets = matched[0] if len(matched) == 1 else set().union(*matched)
        for client in targets:
            client.put(encoded)

    def stop(self) -> None:
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                self.disconnect(client)
