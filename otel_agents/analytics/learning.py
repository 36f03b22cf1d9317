"""``agent-learning``: feedback joined to the outcome it judges, pairs and window figures.

    joined = join_feedback(feedback, outcomes, feedback_delay_s=3600, late_s=60)
    pairs, windows = pair_records(joined), learning_records(joined, window_s=300)

A stream-stream left outer join on ``event_id``: an outcome waits in the join's state
until ``feedback_delay_s`` after its time, so feedback sent up to that late still finds
it; feedback may also come up to ``late_s`` *before* its outcome (clock skew, or an
outcome still in an exporter's queue). Feedback whose outcome never comes is kept until
the watermark passes that bound, then published as an unmatched pair and counted as
``unmatched`` in its window: nothing is dropped silently.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from otel_agents.analytics._columns import TIME_FORMAT, window_id_column
from otel_agents.analytics.metrics import UNKNOWN_SERVICE
from otel_agents.analytics.records import (
    LEARNING_TYPE,
    RECORD_PAIR,
    RECORD_WINDOW,
    SCHEMA_VERSION,
)
from otel_agents.analytics.settings import spark_interval

UNKNOWN_AGENT = "(unknown)"
_OUTCOME_COLUMNS = (
    "event_id",
    "event_time",
    "service",
    "kind",
    "name",
    "agent_name",
    "agent_version",
    "model",
    "status",
    "duration_ms",
    "quality_score",
    "confidence_score",
    "reward",
    "trace_id",
    "input",
    "output",
)


def feedback_rows(parsed: DataFrame) -> DataFrame:
    """Usable FeedbackEvents, flat, columns prefixed ``f_``."""
    data = F.col("event.data")
    return parsed.where(F.col("reason").isNull()).select(
        F.col("event_time").alias("f_time"),
        data.getField("time").alias("f_time_text"),
        *[
            data.getField(name).alias(f"f_{name}")
            for name in (
                "feedback_id",
                "event_id",
                "kind",
                "score",
                "comment",
                "correction",
                "user",
                "agent_name",
            )
        ],
    )


def join_feedback(
    feedback: DataFrame, outcomes: DataFrame, *, feedback_delay_s: float, late_s: float
) -> DataFrame:
    """Feedback (watermarked ``f_time``) left-outer-joined to outcomes (``o_*`` columns)."""
    prefixed = outcomes.select(*[F.col(c).alias(f"o_{c}") for c in _OUTCOME_COLUMNS])
    condition = (
        (F.col("o_event_id") == F.col("f_event_id"))
        & (F.col("o_event_time") >= F.col("f_time") - F.expr(_interval(feedback_delay_s)))
        & (F.col("o_event_time") <= F.col("f_time") + F.expr(_interval(late_s)))
    )
    joined = feedback.join(prefixed, condition, "leftOuter")
    return joined.withColumn(
        "agent",
        F.coalesce("o_agent_name", "o_name", "f_agent_name", F.lit(UNKNOWN_AGENT)),
    ).withColumn("service", F.coalesce("o_service", F.lit(UNKNOWN_SERVICE)))


def pair_records(joined: DataFrame) -> DataFrame:
    """Kafka rows of joined pairs (``id`` = feedback id), unmatched feedback included."""
    outcome = F.when(
        F.col("o_event_id").isNotNull(),
        F.struct(
            *[
                F.col(f"o_{c}").alias(c)
                for c in _OUTCOME_COLUMNS
                if c not in ("event_time", "service")
            ],
            F.date_format("o_event_time", TIME_FORMAT).alias("time"),
        ),
    )
    feedback = F.struct(
        F.col("f_feedback_id").alias("feedback_id"),
        F.col("f_event_id").alias("event_id"),
        F.col("f_kind").alias("kind"),
        F.col("f_score").alias("score"),
        F.col("f_comment").alias("comment"),
        F.col("f_correction").alias("correction"),
        F.col("f_user").alias("user"),
        F.col("f_time_text").alias("time"),
    )
    record = F.struct(
        F.lit(LEARNING_TYPE).alias("type"),
        F.lit(SCHEMA_VERSION).alias("schema_version"),
        F.lit(RECORD_PAIR).alias("record"),
        F.col("f_feedback_id").alias("id"),
        F.col("o_event_id").isNotNull().alias("matched"),
        "service",
        "agent",
        feedback.alias("feedback"),
        outcome.alias("outcome"),
    )
    return joined.select(
        F.col("agent").cast("binary").alias("key"),
        F.to_json(record, {"ignoreNullFields": "false"}).cast("binary").alias("value"),
    )


def learning_records(joined: DataFrame, window_s: int) -> DataFrame:
    """Kafka rows of per-(service, agent, model, version) windows on the feedback's time."""
    kind = F.col("f_kind")
    grouped = joined.groupBy(
        F.window("f_time", spark_interval(window_s)).alias("window"),
        "service",
        "agent",
        F.col("o_model").alias("model"),
        F.col("o_agent_version").alias("agent_version"),
    ).agg(
        F.count(F.lit(1)).alias("feedback"),
        F.count_if(kind == "positive").alias("positive"),
        F.count_if(kind == "negative").alias("negative"),
        F.count_if(kind == "correction").alias("corrections"),
        F.count_if(kind == "suggestion").alias("suggestions"),
        F.count_if(F.col("o_event_id").isNull()).alias("unmatched"),
        F.avg("f_score").alias("score_mean"),
        F.avg("o_reward").alias("reward_mean"),
        F.avg("o_quality_score").alias("quality_mean"),
    )
    rated = F.col("positive") + F.col("negative") + F.col("corrections")
    start = F.date_format("window.start", TIME_FORMAT)
    record = F.struct(
        F.lit(LEARNING_TYPE).alias("type"),
        F.lit(SCHEMA_VERSION).alias("schema_version"),
        F.lit(RECORD_WINDOW).alias("record"),
        window_id_column(
            "learning", "service", "agent", "model", "agent_version", F.lit(window_s), start
        ).alias("id"),
        start.alias("window_start"),
        F.date_format("window.end", TIME_FORMAT).alias("window_end"),
        F.lit(window_s).alias("window_seconds"),
        "service",
        "agent",
        "model",
        "agent_version",
        "feedback",
        "positive",
        "negative",
        "corrections",
        "suggestions",
        "unmatched",
        F.when(rated > 0, F.col("positive") / rated).alias("positive_rate"),
        "score_mean",
        "reward_mean",
        "quality_mean",
    )
    return grouped.select(
        F.col("agent").cast("binary").alias("key"),
        F.to_json(record, {"ignoreNullFields": "false"}).cast("binary").alias("value"),
    )


def _interval(seconds: float) -> str:
    return f"INTERVAL {spark_interval(seconds)}"
