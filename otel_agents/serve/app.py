"""The ASGI application: routes, security, the page, and the feed's life cycle.

app = create_app(FileSource([log, feedback_log], from_beginning=True), ServeSettings())
uvicorn.run(app, host="127.0.0.1", port=8765)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from otel_agents.monitor.app import EventSource
from otel_agents.monitor.state import MonitorState
from otel_agents.serve import rest
from otel_agents.serve.analytics import AnalyticsFeed
from otel_agents.serve.feed import LiveFeed
from otel_agents.serve.hub import Hub
from otel_agents.serve.security import ApiGuard
from otel_agents.serve.settings import ServeSettings
from otel_agents.serve.ws import websocket_feed

STATIC = Path(__file__).parent / "static"
# The page loads only its own files; nothing inline, nothing from elsewhere.
_PAGE_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def send_feedback_like_the_api(event: Any) -> bool:
    """Send through the same route as ``oa.feedback`` and wait for the delivery report."""
    from otel_agents.export import feedback_routes
    from otel_agents.export.feedback import publish

    publish(event)
    return feedback_routes.flush(10.0)


async def _http_problem(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return rest.problem(500, "internal error")
    response = rest.problem(exc.status_code, str(exc.detail).lower())
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405
    return response


def create_app(
    source: EventSource,
    settings: ServeSettings | None = None,
    *,
    state: MonitorState | None = None,
    send_feedback: rest.FeedbackSender = send_feedback_like_the_api,
    analytics: AnalyticsFeed | None = None,
) -> Starlette:
    """The server over ``source`` (the monitor's Kafka or file source).

    app = create_app(KafkaSource(servers, ["agent-outcomes", "agent-feedback"]))

    ``analytics`` (``--from-analytics``) also serves the analytics job's windows.
    """
    settings = settings or ServeSettings()
    hub = Hub()
    feed = LiveFeed(source, state or MonitorState(), hub, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await feed.start()
        if analytics is not None:
            analytics.start()
        try:
            yield
        finally:
            hub.stop()
            await feed.stop()
            if analytics is not None:
                await asyncio.to_thread(analytics.stop)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)

    middleware = [
        Middleware(ApiGuard, token=settings.token, max_body_bytes=settings.max_body_bytes)
    ]
    if settings.cors_origins:
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            ),
        )
    routes = [
        Route("/", page),
        Route("/healthz", rest.healthz),
        Route("/readyz", rest.readyz),
        Route("/openapi.json", rest.openapi),
        Route("/schemas/", rest.schema_index),
        Route("/schemas/{name}", rest.schema),
        Route("/api/v1/agents", rest.agents),
        Route("/api/v1/agents/{name}", rest.agent),
        Route("/api/v1/actions", rest.actions),
        Route("/api/v1/workflows/{id}", rest.workflow),
        Route("/api/v1/learning/{agent}", rest.learning),
        Route("/api/v1/analytics", rest.analytics),
        Route("/api/v1/feedback", rest.feedback, methods=["POST"]),
        WebSocketRoute("/ws", websocket_feed),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_problem},
    )
    app.state.settings = settings
    app.state.feed = feed
    app.state.hub = hub
    app.state.send_feedback = send_feedback
    app.state.analytics = analytics
    return app
