"""The shapes the server sends: one function per message type, each with a JSON Schema
in ``schemas/`` (``<type>.json``).

    action_message(7, data)      # {"type": "action_update", "seq": 7, "action": {...}}
    topics_of(data)              # ("all", "agent:planner", "workflow:4396c979...")

An action is a projection of its OutcomeEvent: the fields a frontend shows and filters by.
Captured content (inputs, outputs, stack traces, attributes) stays out of the feed.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

ACTION_FIELDS = (
    "event_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "kind",
    "name",
    "agent_name",
    "tool_name",
    "action_type",
    "operation",
    "status",
    "severity",
    "start_time",
    "end_time",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost_usd",
    "quality_score",
    "confidence_score",
    "reward",
    "model",
    "provider",
    "retry_count",
    "error_type",
    "error_message",
    "workflow_id",
    "workflow_name",
    "correlation_id",
    "conversation_id",
    "tags",
)
FEEDBACK_FIELDS = (
    "feedback_id",
    "event_id",
    "kind",
    "score",
    "comment",
    "correction",
    "user",
    "agent_name",
    "time",
    "origin",
)
#: Every message type the server sends, each with ``schemas/<type>.json``.
MESSAGE_TYPES = (
    "action_update",
    "pending_update",
    "thought_update",
    "feedback_update",
    "learning_update",
    "snapshot",
    "subscribed",
    "dropped",
    "heartbeat",
    "error",
)
_THOUGHT = "agent.thought"
_THOUGHT_TEXT = "agent.thought.text"
_ERROR_MESSAGE_LIMIT = 500


def now() -> str:
    return _dt.datetime.now(tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def agent_of(data: Mapping[str, Any]) -> str:
    """The agent an event belongs to, by the monitor's rule (agent name, else action name)."""
    return str(data.get("agent_name") or data.get("name") or "?")


def topics_of(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The subscription topics an outcome or feedback event is delivered on."""
    topics = ["all"]
    for key in {data.get("agent_name"), data.get("name")}:
        if isinstance(key, str) and key:
            topics.append(f"agent:{key}")
    workflow = data.get("workflow_id")
    if isinstance(workflow, str) and workflow:
        topics.append(f"workflow:{workflow}")
    session = data.get("conversation_id")
    if isinstance(session, str) and session:
        topics.append(f"session:{session}")
    return tuple(topics)


def project_action(data: Mapping[str, Any], seq: int) -> dict[str, Any]:
    action: dict[str, Any] = {"seq": seq}
    for field in ACTION_FIELDS:
        value = data.get(field)
        if value is not None:
            action[field] = value
    message = action.get("error_message")
    if isinstance(message, str) and len(message) > _ERROR_MESSAGE_LIMIT:
        action["error_message"] = message[:_ERROR_MESSAGE_LIMIT] + "…"
    action.setdefault("kind", "agent")
    action["agent"] = agent_of(data)
    return action


def action_message(seq: int, action: Mapping[str, Any]) -> dict[str, Any]:
    kind = "pending_update" if action.get("status") == "PENDING" else "action_update"
    return {"type": kind, "seq": seq, "action": dict(action)}


def thought_messages(seq: int, data: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """One ``thought_update`` per ``agent.thought`` span event of a finished action."""
    events = data.get("events")
    if not isinstance(events, list):
        return
    for item in events:
        if not isinstance(item, dict) or item.get("name") != _THOUGHT:
            continue
        attributes = item.get("attributes")
        text = attributes.get(_THOUGHT_TEXT) if isinstance(attributes, dict) else None
        if isinstance(text, str):
            yield {
                "type": "thought_update",
                "seq": seq,
                "thought": {
                    "agent": agent_of(data),
                    "event_id": str(data.get("event_id")),
                    "time": item.get("time") if isinstance(item.get("time"), str) else None,
                    "text": text,
                },
            }


def project_feedback(data: Mapping[str, Any], agent: str | None) -> dict[str, Any]:
    feedback = {field: data.get(field) for field in FEEDBACK_FIELDS if data.get(field) is not None}
    if agent is not None:
        feedback["agent_name"] = agent
    return feedback


def feedback_message(seq: int, feedback: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "feedback_update", "seq": seq, "feedback": dict(feedback)}


def learning_message(seq: int, learning: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "learning_update", "seq": seq, "learning": dict(learning)}


def heartbeat_message(seq: int, dropped: int, lag: int | None) -> dict[str, Any]:
    return {"type": "heartbeat", "seq": seq, "time": now(), "dropped": dropped, "lag": lag}


def dropped_message(seq: int, count: int, total: int) -> dict[str, Any]:
    return {"type": "dropped", "seq": seq, "count": count, "total": total}


def error_message(seq: int, text: str) -> dict[str, Any]:
    return {"type": "error", "seq": seq, "error": text}
