"""FeedbackEvent v1: one judgement on one agent action, as CloudEvents 1.0 structured JSON.

event = FeedbackEvent.from_dict(json.loads(line))
event.kind, event.event_id     # 'negative', the judged OutcomeEvent's id
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from otel_agents.events import schema as schema_files
from otel_agents.events.jsonsafe import dumps

SCHEMA_VERSION = "1.0"
CLOUDEVENTS_TYPE = "otel_agents.feedback.v1"
DATA_SCHEMA = "urn:otel-agents:schema:feedback-event:1"


@dataclasses.dataclass(frozen=True)
class FeedbackEvent:
    """One judgement on one agent action. Field names match the JSON ``data`` object.

    event = oa.feedback(event_id, "positive")
    event.to_json_bytes()          # CloudEvents 1.0 JSON, type otel_agents.feedback.v1
    """

    feedback_id: str
    event_id: str
    kind: str
    time: str
    trace_id: str | None = None
    span_id: str | None = None
    score: float | None = None
    comment: str | None = None
    correction: str | None = None
    user: str | None = None
    agent_name: str | None = None
    origin: str = "api"
    #: The session and end user of the judged run (from the OutcomeEvent or W3C baggage).
    session_id: str | None = None
    user_id: str | None = None
    schema_version: str = SCHEMA_VERSION

    @property
    def traceparent(self) -> str | None:
        if self.trace_id is None or self.span_id is None:
            return None
        return f"00-{self.trace_id}-{self.span_id}-01"

    def data(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_dict(self) -> dict[str, Any]:
        """The CloudEvents 1.0 structured-mode envelope with the feedback as ``data``."""
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.feedback_id,
            "source": f"/otel-agents/feedback/{self.origin}",
            "type": CLOUDEVENTS_TYPE,
            "subject": self.event_id,
            "time": self.time,
            "datacontenttype": "application/json",
            "dataschema": DATA_SCHEMA,
            "data": self.data(),
        }
        if self.traceparent is not None:
            envelope["traceparent"] = self.traceparent
        return envelope

    def to_json_bytes(self) -> bytes:
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> FeedbackEvent:
        """Read a FeedbackEvent from its CloudEvents form; unknown fields are ignored.

        FeedbackEvent.from_dict(json.loads(line)).kind   # 'negative'
        """
        data = document.get("data", document)
        if not isinstance(data, Mapping):
            raise ValueError("not a FeedbackEvent: data is not an object")
        known = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for required in ("feedback_id", "event_id", "kind", "time"):
            if not isinstance(values.get(required), str):
                raise ValueError(f"not a FeedbackEvent: {required} missing")
        return cls(**values)


def load_feedback_schema() -> dict[str, Any]:
    """The FeedbackEvent v1 JSON Schema (draft 2020-12) shipped in the package."""
    return schema_files.load("feedback-event-v1.json")
