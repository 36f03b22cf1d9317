"""The WebSocket ``/ws``: authenticate, subscribe, then receive snapshot and deltas.

    -> {"type": "auth", "token": "..."}            (first, if a token is set and no header)
    -> {"type": "subscribe", "topics": ["agent:planner", "workflow:4396c97906656030"]}
    <- [{"type": "subscribed", ...}, {"type": "snapshot", ...}]
    <- [{"type": "action_update", ...}, {"type": "thought_update", ...}]

The token may come in the upgrade's ``Authorization: Bearer`` header or the first
message, never the URL (URLs end up in access logs). A refusal closes with code 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from otel_agents.serve import messages
from otel_agents.serve.feed import LiveFeed
from otel_agents.serve.hub import Client, Hub
from otel_agents.serve.security import bearer_ok, origin_allowed
from otel_agents.serve.settings import ServeSettings

POLICY_VIOLATION = 1008
_PREFIXES = ("agent:", "workflow:", "session:")
MAX_TOPICS = 100
MAX_TOPIC_LENGTH = 300


async def websocket_feed(websocket: WebSocket) -> None:
    settings: ServeSettings = websocket.app.state.settings
    feed: LiveFeed = websocket.app.state.feed
    hub: Hub = websocket.app.state.hub
    origin = websocket.headers.get("origin")
    if origin is not None and not origin_allowed(
        origin, websocket.headers.get("host"), settings.cors_origins
    ):
        await websocket.close(POLICY_VIOLATION, "origin not allowed")
        return
    await websocket.accept()
    if settings.token is not None and not await _authenticated(websocket, settings):
        with contextlib.suppress(Exception):
            await websocket.close(POLICY_VIOLATION, "unauthorized")
        return
    client = hub.connect(websocket.send_text, settings.client_queue, settings.max_frame_messages)
    writer = asyncio.create_task(client.run_writer(lambda: feed.seq))
    receiver = asyncio.create_task(_receive(websocket, client, feed, hub))
    try:
        # Whichever ends first (the peer left, or a send failed) ends the connection.
        await asyncio.wait({writer, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.disconnect(client)
        for task in (writer, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await websocket.close()


async def _authenticated(websocket: WebSocket, settings: ServeSettings) -> bool:
    assert settings.token is not None
    header = websocket.headers.get("authorization")
    if header is not None:
        return bearer_ok(header, settings.token)
    try:
        text = await asyncio.wait_for(websocket.receive_text(), settings.auth_timeout_s)
        message = orjson.loads(text)
    except (asyncio.TimeoutError, WebSocketDisconnect, orjson.JSONDecodeError, KeyError):
        return False
    if not isinstance(message, dict) or message.get("type") != "auth":
        return False
    token = message.get("token")
    return isinstance(token, str) and bearer_ok(f"Bearer {token}", settings.token)


async def _receive(websocket: WebSocket, client: Client, feed: LiveFeed, hub: Hub) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            _handle(text, client, feed, hub)


def _handle(text: str, client: Client, feed: LiveFeed, hub: Hub) -> None:
    try:
        message: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        client.put_message(messages.error_message(feed.seq, "not JSON"))
        return
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "auth":
        return  # already authenticated (by header), or no token is needed
    if kind not in ("subscribe", "unsubscribe"):
        client.put_message(messages.error_message(feed.seq, f"unknown message type {kind!r}"))
        return
    topics = message.get("topics")
    problem = _topics_problem(topics, len(client.topics))
    if problem is not None:
        client.put_message(messages.error_message(feed.seq, problem))
        return
    if kind == "unsubscribe":
        hub.unsubscribe(client, topics)
        client.put_message(_subscribed(feed, client))
        return
    new = frozenset(topics) - client.topics
    hub.subscribe(client, topics)
    client.put_message(_subscribed(feed, client))
    if new:
        # Queued now, on the loop: every delta published after it has a larger seq.
        client.put_message(feed.snapshot(frozenset(new)))


def _subscribed(feed: LiveFeed, client: Client) -> dict[str, Any]:
    return {"type": "subscribed", "seq": feed.seq, "topics": sorted(client.topics)}


def _topics_problem(topics: Any, current: int) -> str | None:
    if not isinstance(topics, list) or not topics:
        return "topics must be a non-empty list"
    for topic in topics:
        if not isinstance(topic, str) or len(topic) > MAX_TOPIC_LENGTH:
            return "each topic is a string of at most 300 characters"
        if topic != "all" and not (topic.startswith(_PREFIXES) and topic.split(":", 1)[1]):
            return f"unknown topic {topic!r}: use all, agent:NAME, workflow:ID or session:ID"
    if current + len(topics) > MAX_TOPICS:
        return f"at most {MAX_TOPICS} topics per connection"
    return None
