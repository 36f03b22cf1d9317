"""Who may call the server, and how much they may send.

- ``bearer_ok``: the token check for REST and WebSocket (constant time).
- ``ApiGuard``: ASGI middleware: a bearer token on ``/api`` when one is configured
  (401 otherwise), and a body size limit on every request (413).
- ``origin_allowed``: a browser's WebSocket upgrade must come from the page's own origin
  or a configured one (browsers do not apply CORS to WebSockets).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PROTECTED = "/api/"


def bearer_ok(header: str | None, token: str) -> bool:
    """True when ``header`` is ``Bearer <token>``."""
    if header is None:
        return False
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())


def origin_allowed(origin: str, host: str | None, allowed: Iterable[str]) -> bool:
    if origin.rstrip("/") in allowed:
        return True
    parts = urlsplit(origin)
    return host is not None and parts.netloc == host


class _TooLarge(Exception):
    pass


class ApiGuard:
    """Token on /api, size limit on bodies; everything else passes through untouched."""

    def __init__(self, app: ASGIApp, token: str | None, max_body_bytes: int) -> None:
        self.app = app
        self.token = token
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if (
            self.token is not None
            and scope["path"].startswith(_PROTECTED)
            and not bearer_ok(headers.get("authorization"), self.token)
        ):
            await _problem(send, 401, "a bearer token is required", {"www-authenticate": "Bearer"})
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _problem(send, 413, f"the body is over {self.max_body_bytes} bytes")
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _problem(send, 413, f"the body is over {self.max_body_bytes} bytes")


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}


async def _problem(send: Send, status: int, text: str, extra: dict[str, str] | None = None) -> None:
    body = orjson.dumps({"error": text})
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
