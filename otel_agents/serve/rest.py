"""REST API v1: agents, actions, workflows, learning, analytics, feedback; health and readiness.

Handlers run on the event loop, as the feed does, so every answer is one consistent read
of the tally. The shapes are the OpenAPI document's (``openapi.json``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from otel_agents.events.feedback import FeedbackEvent
from otel_agents.export.feedback import build_feedback_event
from otel_agents.serve import schemas
from otel_agents.serve.analytics import AnalyticsFeed
from otel_agents.serve.feed import LiveFeed
from otel_agents.serve.openapi import openapi_document
from otel_agents.serve.settings import ServeSettings

#: Sends one FeedbackEvent and waits for delivery; True when the broker (or log) took it.
FeedbackSender = Callable[[FeedbackEvent], bool]
_MAX_LIMIT = 500


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem(status: int, text: str, errors: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"error": text}
    if errors is not None:
        body["errors"] = errors
    return _Json(body, status_code=status)


def _feed(request: Request) -> LiveFeed:
    feed: LiveFeed = request.app.state.feed
    return feed


async def agents(request: Request) -> Response:
    feed = _feed(request)
    return _Json({"agents": feed.agents(), "in_flight": feed.in_flight()})


async def agent(request: Request) -> Response:
    figures = _feed(request).agent(request.path_params["name"])
    return _Json(figures) if figures is not None else problem(404, "no such agent")


async def learning(request: Request) -> Response:
    figures = _feed(request).learning(request.path_params["agent"])
    return _Json(figures) if figures is not None else problem(404, "no such agent")


async def analytics(request: Request) -> Response:
    """The analytics job's latest windows (only with ``serve --from-analytics``)."""
    feed: AnalyticsFeed | None = request.app.state.analytics
    if feed is None:
        return problem(404, "not reading the analytics topics; start with --from-analytics")
    return _Json(feed.summary())


async def workflow(request: Request) -> Response:
    run = _feed(request).store.workflow(request.path_params["id"])
    return _Json(run) if run is not None else problem(404, "no such workflow run")


async def actions(request: Request) -> Response:
    params = request.query_params
    try:
        limit = _int(params.get("limit"), 50, 1, _MAX_LIMIT, "limit")
        before = _int(params.get("before"), None, 0, None, "before")
    except ValueError as exc:
        return problem(422, str(exc))
    page, cursor = _feed(request).store.query(
        limit=limit,
        agent=params.get("agent"),
        status=params.get("status"),
        workflow=params.get("workflow"),
        session=params.get("session"),
        before=before,
    )
    return _Json({"actions": page, "next_before": cursor})


def _int(text: str | None, default: Any, low: int, high: int | None, name: str) -> Any:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bounds}")
    return value


async def feedback(request: Request) -> Response:
    """Validate against the FeedbackRequest schema, send like ``oa.feedback``, return ids."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return problem(415, "send the feedback as application/json")
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        return problem(422, f"the body is not JSON: {exc}")
    errors = [
        {"path": "/" + "/".join(str(p) for p in error.absolute_path), "message": error.message}
        for error in schemas.def_validator("FeedbackRequest").iter_errors(body)
    ]
    if errors:
        return problem(422, "the feedback does not match the FeedbackRequest schema", errors)
    feed = _feed(request)
    event_id = body["event_id"]
    known = feed.store.find(event_id)
    try:
        event = build_feedback_event(
            event_id,
            body["kind"],
            score=body.get("score"),
            comment=body.get("comment"),
            correction=body.get("correction"),
            user=body.get("user"),
            agent=body.get("agent") or (known or {}).get("agent"),
            origin="http",
        )
    except ValueError as exc:
        return problem(422, str(exc), [{"path": "/", "message": str(exc)}])
    if known is not None and event.trace_id is None:
        # Link the feedback to the judged span, as oa.feedback does in-process.
        event = dataclasses.replace(event, trace_id=known["trace_id"], span_id=known["span_id"])
    envelope_errors = list(schemas.feedback_event_validator().iter_errors(event.to_dict()))
    if envelope_errors:
        return problem(422, f"the FeedbackEvent would be invalid: {envelope_errors[0].message}")
    settings: ServeSettings = request.app.state.settings
    sender: FeedbackSender = request.app.state.send_feedback
    returned = feed.expect_feedback(event.feedback_id)
    try:
        delivered = await asyncio.to_thread(sender, event)
        visible = True
        try:
            await asyncio.wait_for(asyncio.shield(returned), settings.feedback_wait_s)
        except asyncio.TimeoutError:
            visible = False
    finally:
        feed.forget_feedback(event.feedback_id)
    return _Json(
        {
            "feedback_id": event.feedback_id,
            "event_id": event.event_id,
            "agent_name": event.agent_name,
            "delivered": delivered,
            "visible": visible,
        },
        status_code=202,
    )


async def healthz(request: Request) -> Response:
    return _Json({"status": "ok"})


async def readyz(request: Request) -> Response:
    readiness = _feed(request).readiness()
    return _Json(readiness, status_code=200 if readiness["ready"] else 503)


async def openapi(request: Request) -> Response:
    return _Json(openapi_document())


async def schema(request: Request) -> Response:
    try:
        return _Json(schemas.load(request.path_params["name"]))
    except KeyError:
        return problem(404, "no such schema; see /schemas/")


async def schema_index(request: Request) -> Response:
    return _Json({"schemas": list(schemas.names())})
