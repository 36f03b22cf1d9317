"""Explicit Spark schemas of OutcomeEvent v1 and FeedbackEvent v1 (CloudEvents envelopes).

Written out rather than inferred, so a stray record never changes what the job expects.
They are tested against the JSON Schemas shipped in ``otel_agents/events/schema``: every field
here exists there with a matching type, and every field there is here or listed in
``SKIPPED_*`` below, so the two cannot drift apart silently.

Date-times stay strings: the job parses them itself and dead-letters what does not parse.
"""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

#: Holds the raw text of a record whose fields do not fit the schema's types.
CORRUPT_COLUMN = "_corrupt_record"

#: Free-form objects of the JSON Schemas that the job does not read.
SKIPPED_OUTCOME_FIELDS = frozenset({"metadata", "events", "links", "attributes"})
SKIPPED_FEEDBACK_FIELDS: frozenset[str] = frozenset()


def _fields(*pairs: tuple[str, DataType]) -> StructType:
    return StructType([StructField(name, kind, nullable=True) for name, kind in pairs])


_TEXT, _INT, _NUMBER = StringType(), LongType(), DoubleType()

RESOURCE = _fields(
    ("service_name", _TEXT),
    ("service_version", _TEXT),
    ("service_namespace", _TEXT),
    ("environment", _TEXT),
    ("host", _TEXT),
)

OUTCOME_DATA = _fields(
    ("schema_version", _TEXT),
    ("event_id", _TEXT),
    ("event_type", _TEXT),
    ("trace_id", _TEXT),
    ("span_id", _TEXT),
    ("parent_span_id", _TEXT),
    ("trace_flags", _INT),
    ("kind", _TEXT),
    ("operation", _TEXT),
    ("name", _TEXT),
    ("span_name", _TEXT),
    ("action_type", _TEXT),
    ("agent_name", _TEXT),
    ("agent_id", _TEXT),
    ("agent_version", _TEXT),
    ("tool_name", _TEXT),
    ("tool_call_id", _TEXT),
    ("tool_type", _TEXT),
    ("workflow_id", _TEXT),
    ("workflow_name", _TEXT),
    ("correlation_id", _TEXT),
    ("conversation_id", _TEXT),
    ("session_id", _TEXT),
    ("user_id", _TEXT),
    ("start_time", _TEXT),
    ("end_time", _TEXT),
    ("duration_ms", _NUMBER),
    ("latency_ms", _NUMBER),
    ("status", _TEXT),
    ("severity", _TEXT),
    ("span_status", _TEXT),
    ("error_type", _TEXT),
    ("error_message", _TEXT),
    ("error_stack_trace", _TEXT),
    ("retry_count", _INT),
    ("input_tokens", _INT),
    ("output_tokens", _INT),
    ("total_tokens", _INT),
    ("cached_input_tokens", _INT),
    ("reasoning_tokens", _INT),
    ("llm_calls", _INT),
    ("llm_latency_ms", _NUMBER),
    ("cost_usd", _NUMBER),
    ("quality_score", _NUMBER),
    ("confidence_score", _NUMBER),
    ("reward", _NUMBER),
    ("model", _TEXT),
    ("provider", _TEXT),
    ("steps_total", _INT),
    ("steps_failed", _INT),
    ("tags", ArrayType(_TEXT, containsNull=True)),
    ("input", _TEXT),
    ("output", _TEXT),
    ("resource", RESOURCE),
)

FEEDBACK_DATA = _fields(
    ("schema_version", _TEXT),
    ("feedback_id", _TEXT),
    ("event_id", _TEXT),
    ("trace_id", _TEXT),
    ("span_id", _TEXT),
    ("kind", _TEXT),
    ("score", _NUMBER),
    ("comment", _TEXT),
    ("correction", _TEXT),
    ("user", _TEXT),
    ("agent_name", _TEXT),
    ("time", _TEXT),
    ("origin", _TEXT),
    ("session_id", _TEXT),
    ("user_id", _TEXT),
)


def envelope(data: StructType) -> StructType:
    """The CloudEvents 1.0 structured-mode envelope around ``data``."""
    return _fields(
        ("specversion", _TEXT),
        ("id", _TEXT),
        ("source", _TEXT),
        ("type", _TEXT),
        ("subject", _TEXT),
        ("time", _TEXT),
        ("datacontenttype", _TEXT),
        ("dataschema", _TEXT),
        ("traceparent", _TEXT),
        ("data", data),
    )


OUTCOME_EVENT = envelope(OUTCOME_DATA)
FEEDBACK_EVENT = envelope(FEEDBACK_DATA)


def with_corrupt_column(schema: StructType) -> StructType:
    """``schema`` plus the column ``from_json`` fills with records that do not fit it."""
    return StructType([*schema.fields, StructField(CORRUPT_COLUMN, _TEXT, nullable=True)])
