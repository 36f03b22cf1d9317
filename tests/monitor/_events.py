"""Synthetic OutcomeEvent / FeedbackEvent payloads for state and panel tests."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

from otel_agents.events.feedback import CLOUDEVENTS_TYPE as FEEDBACK_TYPE
from otel_agents.events.outcome import CLOUDEVENTS_TYPE

_ids = itertools.count(1)


def outcome(
    name: str = "planner",
    status: str = "SUCCESS",
    kind: str = "agent",
    **fields: Any,
) -> bytes:
    n = next(_ids)
    data: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "pending" if status == "PENDING" else "outcome",
        "trace_id": f"{n:032x}",
        "span_id": f"{n:016x}",
        "kind": kind,
        "name": name,
        "agent_name": name if kind == "agent" else None,
        "tool_name": name if kind == "tool" else None,
        "start_time": "2026-11-23T10:00:00.000000Z",
        "end_time": None if status == "PENDING" else "2026-11-23T10:00:01.250000Z",
        "duration_ms": None if status == "PENDING" else 1250.0,
        "status": status,
        "events": [],
    }
    data.update(fields)
    return json.dumps({"type": CLOUDEVENTS_TYPE, "specversion": "1.0", "data": data}).encode()


def thought(name: str, text: str) -> bytes:
    event = {
        "name": "agent.thought",
        "time": "2026-11-23T10:00:00.500000Z",
        "attributes": {"agent.thought.text": text},
    }
    return outcome(name, events=[event])


def feedback(event_id: str, kind: str, agent: str | None = None, **fields: Any) -> bytes:
    data: dict[str, Any] = {
        "feedback_id": str(uuid.uuid4()),
        "event_id": event_id,
        "kind": kind,
        "time": "2026-11-23T10:00:02.000000Z",
        "agent_name": agent,
    }
    data.update(fields)
    return json.dumps({"type": FEEDBACK_TYPE, "specversion": "1.0", "data": data}).encode()


def event_id_of(payload: bytes) -> str:
    return str(json.loads(payload)["data"]["event_id"])
