"""``agent-metrics``: tumbling event-time windows per (service, kind, name) of outcomes.

    rows = metrics_records(outcomes, window_s=60, late_s=60)   # key/value rows for Kafka

A window is published once, when the watermark (newest event time seen minus ``late_s``)
passes its end; events later than that are not counted (Spark drops them). Percentiles
are ``percentile_approx`` with accuracy ``PERCENTILE_ACCURACY``: nearest-rank like the
project's tally (``otel_agents.percentile``), the value returned has a rank within
``n / PERCENTILE_ACCURACY`` of the exact one (exact while a window holds fewer values).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from otel_agents.analytics._columns import TIME_FORMAT, window_id_column
from otel_agents.analytics.parse import OUTCOME_STATUSES
from otel_agents.analytics.records import METRICS_TYPE, SCHEMA_VERSION
from otel_agents.analytics.settings import spark_interval

PERCENTILE_ACCURACY = 10_000
QUANTILES = (0.5, 0.95, 0.99)
UNKNOWN_SERVICE = "unknown_service"


def finished_outcomes(parsed: DataFrame) -> DataFrame:
    """Usable, finished outcomes (no PENDING), flat, with the columns the windows need."""
    data = F.col("event.data")
    return parsed.where(
        F.col("reason").isNull() & (data.getField("event_type") == F.lit("outcome"))
    ).select(
        F.col("event_time"),
        data.getField("event_id").alias("event_id"),
        F.coalesce(
            data.getField("resource").getField("service_name"), F.lit(UNKNOWN_SERVICE)
        ).alias("service"),
        data.getField("kind").alias("kind"),
        data.getField("name").alias("name"),
        data.getField("agent_name").alias("agent_name"),
        data.getField("agent_version").alias("agent_version"),
        data.getField("model").alias("model"),
        data.getField("status").alias("status"),
        data.getField("duration_ms").alias("duration_ms"),
        data.getField("input_tokens").alias("input_tokens"),
        data.getField("output_tokens").alias("output_tokens"),
        data.getField("cost_usd").alias("cost_usd"),
        data.getField("quality_score").alias("quality_score"),
        data.getField("confidence_score").alias("confidence_score"),
        data.getField("reward").alias("reward"),
        data.getField("trace_id").alias("trace_id"),
        data.getField("input").alias("input"),
        data.getField("output").alias("output"),
    )


def metrics_records(outcomes: DataFrame, window_s: int) -> DataFrame:
    """Kafka rows (``key`` = name, ``value`` = agent-metrics JSON) of ``window_s`` windows.

    ``outcomes`` is ``finished_outcomes(...)`` with a watermark on ``event_time``.
    """
    window = F.window("event_time", spark_interval(window_s))
    durations = F.percentile_approx("duration_ms", list(QUANTILES), PERCENTILE_ACCURACY)
    grouped = outcomes.groupBy(window.alias("window"), "service", "kind", "name").agg(
        F.count(F.lit(1)).alias("calls"),
        *[F.count_if(F.col("status") == s).alias(f"n_{s}") for s in OUTCOME_STATUSES],
        durations.alias("quantiles"),
        F.max("duration_ms").alias("duration_max"),
        F.sum(F.coalesce("input_tokens", F.lit(0))).alias("input_tokens"),
        F.sum(F.coalesce("output_tokens", F.lit(0))).alias("output_tokens"),
        F.sum(F.coalesce("cost_usd", F.lit(0.0))).alias("cost_usd"),
        F.avg("quality_score").alias("quality_mean"),
        F.avg("confidence_score").alias("confidence_mean"),
        F.avg("reward").alias("reward_mean"),
    )
    start = F.date_format("window.start", TIME_FORMAT)
    record = F.struct(
        F.lit(METRICS_TYPE).alias("type"),
        F.lit(SCHEMA_VERSION).alias("schema_version"),
        window_id_column("metrics", "service", "kind", "name", F.lit(window_s), start).alias("id"),
        start.alias("window_start"),
        F.date_format("window.end", TIME_FORMAT).alias("window_end"),
        F.lit(window_s).alias("window_seconds"),
        "service",
        "kind",
        "name",
        "calls",
        F.struct(*[F.col(f"n_{s}").alias(s) for s in OUTCOME_STATUSES]).alias("statuses"),
        (F.col(f"n_{OUTCOME_STATUSES[0]}") / F.col("calls")).alias("success_rate"),
        F.struct(
            *[F.col("quantiles")[i].alias(f"p{round(q * 100)}") for i, q in enumerate(QUANTILES)],
            F.col("duration_max").alias("max"),
        ).alias("duration_ms"),
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "quality_mean",
        "confidence_mean",
        "reward_mean",
    )
    return grouped.select(
        F.col("name").cast("binary").alias("key"),
        F.to_json(record, {"ignoreNullFields": "false"}).cast("binary").alias("value"),
    )
