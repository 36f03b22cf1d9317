"""Kafka records → typed events, and the reason for each record that is not one.

    parsed = parse_events(kafka_frame, OUTCOME)      # adds ``event`` and ``reason``
    valid = parsed.where(col("reason").isNull())

Everything is Spark SQL (no Python UDF), so executors need no Python packages and a bad
record can never stop the job: it gets a reason and goes to the dead-letter topic.
"""

from __future__ import annotations

import dataclasses

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from otel_agents.analytics import schemas
from otel_agents.analytics.records import HEADER_REASON, HEADER_SOURCE

#: Statuses an outcome may have (PENDING events are in-flight, not outcomes).
OUTCOME_STATUSES = ("SUCCESS", "FAILURE", "PARTIAL", "TIMEOUT", "CANCELLED")


@dataclasses.dataclass(frozen=True)
class EventKind:
    """What one input topic carries."""

    label: str
    cloudevents_type: str
    schema: StructType
    required: tuple[str, ...]
    time_field: str


OUTCOME = EventKind(
    label="OutcomeEvent v1",
    cloudevents_type="otel_agents.outcome.v1",
    schema=schemas.OUTCOME_EVENT,
    required=("event_id", "event_type", "kind", "name", "status", "start_time"),
    time_field="end_time",
)
FEEDBACK = EventKind(
    label="FeedbackEvent v1",
    cloudevents_type="otel_agents.feedback.v1",
    schema=schemas.FEEDBACK_EVENT,
    required=("feedback_id", "event_id", "kind", "time"),
    time_field="time",
)


def parse_events(kafka: DataFrame, kind: EventKind) -> DataFrame:
    """Kafka rows plus ``event`` (the parsed envelope), ``event_time`` and ``reason``.

    ``reason`` is null for a usable event, else a short text saying what is wrong.
    """
    text = F.col("value").cast("string")
    parsed = F.from_json(
        text,
        schemas.with_corrupt_column(kind.schema),
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": schemas.CORRUPT_COLUMN},
    )
    frame = kafka.withColumn("event", parsed)
    data = F.col("event.data")
    time_text = data.getField(kind.time_field)
    if kind is OUTCOME:
        # A pending event has no end yet; only finished outcomes are aggregated.
        time_text = F.coalesce(time_text, data.getField("start_time"))
    frame = frame.withColumn("event_time", F.try_to_timestamp(time_text))
    return frame.withColumn("reason", _reason(kind, text))


def _reason(kind: EventKind, text: Column) -> Column:
    event, data = F.col("event"), F.col("event.data")
    checks: list[tuple[Column, Column]] = [
        (F.col("value").isNull() | (F.length(F.col("value")) == 0), F.lit("empty record")),
        (F.get_json_object(text, "$").isNull(), F.lit("not JSON")),
        (event.getField("type").isNull(), F.lit("not a CloudEvents JSON object")),
        (
            event.getField("type") != F.lit(kind.cloudevents_type),
            F.concat(F.lit("unexpected type "), event.getField("type")),
        ),
        (data.isNull(), F.lit("no data object")),
        (
            event.getField(schemas.CORRUPT_COLUMN).isNotNull(),
            F.lit(f"a field's type does not match the {kind.label} schema"),
        ),
    ]
    checks += [
        (data.getField(name).isNull(), F.lit(f"missing data.{name}")) for name in kind.required
    ]
    checks.append(
        (
            F.col("event_time").isNull(),
            F.lit(f"data.{kind.time_field} is not an RFC 3339 date-time"),
        )
    )
    if kind is OUTCOME:
        statuses = [*OUTCOME_STATUSES, "PENDING"]
        checks.append(
            (
                ~data.getField("status").isin(statuses),
                F.concat(F.lit("unknown status "), data.getField("status")),
            )
        )
    reason = F.when(checks[0][0], checks[0][1])
    for condition, text_value in checks[1:]:
        reason = reason.when(condition, text_value)
    return reason


def dead_letters(parsed: DataFrame, topic: str) -> DataFrame:
    """Rows for the Kafka sink: the record as it came, its reason and origin in headers."""
    source = F.concat_ws(
        "/", F.col("topic"), F.col("partition").cast("string"), F.col("offset").cast("string")
    )
    headers = F.array(
        F.struct(F.lit(HEADER_REASON).alias("key"), F.col("reason").cast("binary").alias("value")),
        F.struct(F.lit(HEADER_SOURCE).alias("key"), source.cast("binary").alias("value")),
    )
    return parsed.where(F.col("reason").isNotNull()).select(
        F.lit(topic).alias("topic"),
        F.col("key"),
        F.col("value"),
        headers.alias("headers"),
    )
