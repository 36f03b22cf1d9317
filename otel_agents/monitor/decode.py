"""Tell what one message on the wire is: an OutcomeEvent, a FeedbackEvent, or neither.

Anything may arrive on a topic or in a log file: other producers' records, half-written
lines, old or future schema versions. Nothing here raises; the monitor counts what it
cannot use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from otel_agents.events.feedback import CLOUDEVENTS_TYPE as FEEDBACK_TYPE
from otel_agents.events.outcome import CLOUDEVENTS_TYPE as OUTCOME_TYPE
from otel_agents.events.outcome import field_type_errors

OUTCOME: Final = "outcome"
FEEDBACK: Final = "feedback"
MALFORMED: Final = "malformed"
FOREIGN: Final = "foreign"


def decode(payload: bytes | str | None) -> tuple[str, Mapping[str, Any] | None]:
    """``(OUTCOME|FEEDBACK, data)`` for our events, ``(MALFORMED|FOREIGN, None)`` otherwise.

    decode(b'{"type": "otel_agents.outcome.v1", "data": {...}}')   # ('outcome', {...})
    """
    if not payload:
        return MALFORMED, None
    try:
        document = orjson.loads(payload)
    except (orjson.JSONDecodeError, TypeError, RecursionError):
        return MALFORMED, None
    if not isinstance(document, dict):
        return FOREIGN, None
    kind = document.get("type")
    data = document.get("data")
    if not isinstance(kind, str) or not isinstance(data, dict):
        return FOREIGN, None
    # The type names the major version; minor versions only add fields, which we ignore.
    if kind == OUTCOME_TYPE:
        if (
            isinstance(data.get("event_id"), str)
            and isinstance(data.get("status"), str)
            and not field_type_errors(data)
        ):
            return OUTCOME, data
        return MALFORMED, None
    if kind == FEEDBACK_TYPE:
        if isinstance(data.get("event_id"), str) and isinstance(data.get("kind"), str):
            return FEEDBACK, data
        return MALFORMED, None
    return FOREIGN, None
