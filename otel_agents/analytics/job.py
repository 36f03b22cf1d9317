"""The analytics job: checkpointed streaming queries from the input topics to Kafka.

    spark = build_session(master="local[2]", jars=connector_jars)
    job = AnalyticsJob(spark, AnalyticsSettings(bootstrap_servers="127.0.0.1:9092"))
    job.start(); job.await_termination()

``metrics-<N>s``     agent-outcomes → agent-metrics, one query per window length (the
                    first also writes the outcome topic's dead letters)
``learning-pairs``   agent-feedback ⋈ agent-outcomes → agent-learning pairs, + dead letters
                    of the feedback topic
``learning-windows`` the same join → agent-learning windows

Each query has its own folder under the checkpoint; restarted on the same checkpoint it
resumes at the offsets and window state it had committed, so windows come out as in an
uninterrupted run (the last batch may be written twice: see ``records``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.query import StreamingQuery
from pyspark.sql.types import ArrayType, BinaryType, StringType, StructField, StructType

from otel_agents.analytics.learning import (
    feedback_rows,
    join_feedback,
    learning_records,
    pair_records,
)
from otel_agents.analytics.metrics import finished_outcomes, metrics_records
from otel_agents.analytics.parse import FEEDBACK, OUTCOME, dead_letters, parse_events
from otel_agents.analytics.settings import AnalyticsSettings, spark_interval
from otel_agents.analytics.submit import KAFKA_PACKAGE, LOCAL_CONF

METRICS_QUERY = "otel-agents-metrics"
LEARNING_QUERY = "otel-agents-learning"

_HEADERS = ArrayType(
    StructType([StructField("key", StringType()), StructField("value", BinaryType())])
)

#: Settings every run needs: window bounds and ids are computed in UTC.
JOB_CONF: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # Publish a window as soon as the watermark passes it, not at the next record.
    "spark.sql.streaming.noDataMicroBatches.enabled": "true",
}


def launched_by_spark_submit() -> bool:
    """True when spark-submit started this interpreter (it then owns master and jars)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def build_session(
    *,
    master: str | None = None,
    jars: Sequence[str] = (),
    packages: Sequence[str] = (),
    conf: Mapping[str, str] | None = None,
    app_name: str = "otel-agents-analytics",
) -> SparkSession:
    """A SparkSession with the Kafka connector on its classpath.

    build_session(master="local[2]", jars=["/opt/jars/spark-sql-kafka-0-10_2.13-4.2.0.jar"])
    build_session(master="local[2]", packages=[KAFKA_PACKAGE])   # resolved from Maven
    """
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
        if master.startswith("local"):
            # Spark picks the host's address for some listeners unless told otherwise.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            for key, value in LOCAL_CONF.items():
                builder = builder.config(key, value)
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    if packages:
        builder = builder.config("spark.jars.packages", ",".join(packages))
    for key, value in {**JOB_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class AnalyticsJob:
    """The metrics and learning queries over one SparkSession."""

    def __init__(self, spark: SparkSession, settings: AnalyticsSettings) -> None:
        self.spark = spark
        self.settings = settings
        self.queries: list[StreamingQuery] = []
        for key, value in JOB_CONF.items():
            spark.conf.set(key, value)

    def start(self) -> list[StreamingQuery]:
        """Start the queries (non-blocking): one per metrics window length, two for learning.

        One query per stateful pipeline: in Spark 4.2 a union of two pipelines that each
        chain stateful operators (deduplicate then aggregate) never advances the second
        pipeline's watermark, so its windows would never be published.
        """
        s = self.settings
        outcomes = parse_events(self._read(s.outcomes_topic), OUTCOME)
        queries = []
        for index, window in enumerate(s.windows_s):
            rows = _to(s.metrics_topic, metrics_records(self._watermarked(outcomes), int(window)))
            if index == 0:
                rows = _union([rows, dead_letters(outcomes, s.dead_letter_topic)])
            queries.append(self._sink(rows, f"{METRICS_QUERY}-{int(window)}s"))
        feedback = parse_events(self._read(s.feedback_topic), FEEDBACK)
        pairs = pair_records(self._joined(outcomes, feedback))
        queries.append(
            self._sink(
                _union([_to(s.learning_topic, pairs), dead_letters(feedback, s.dead_letter_topic)]),
                f"{LEARNING_QUERY}-pairs",
            )
        )
        windows = learning_records(self._joined(outcomes, feedback), int(s.learning_window_s))
        queries.append(self._sink(_to(s.learning_topic, windows), f"{LEARNING_QUERY}-windows"))
        self.queries = queries
        return queries

    def await_termination(self, timeout_s: float | None = None) -> None:
        """Block until a query ends (re-raising its error) or ``timeout_s`` passes."""
        if timeout_s is None:
            self.spark.streams.awaitAnyTermination()
        else:
            self.spark.streams.awaitAnyTermination(int(timeout_s * 1000))

    def stop(self) -> None:
        for query in self.queries:
            if query.isActive:
                query.stop()

    # -- plans -------------------------------------------------------------------------
    def _joined(self, outcomes: DataFrame, feedback: DataFrame) -> DataFrame:
        s = self.settings
        watermarked = feedback_rows(feedback).withWatermark("f_time", spark_interval(s.late_s))
        return join_feedback(
            watermarked,
            self._watermarked(outcomes),
            feedback_delay_s=s.feedback_delay_s,
            late_s=s.late_s,
        )

    def _watermarked(self, parsed: DataFrame) -> DataFrame:
        # The exporter may deliver an event twice (retries, spool replay); its event_id
        # is deterministic, so a duplicate within the watermark is counted once.
        return (
            finished_outcomes(parsed)
            .withWatermark("event_time", spark_interval(self.settings.late_s))
            .dropDuplicatesWithinWatermark(["event_id"])
        )

    # -- Kafka ends ------------------------------------------------------------------
    def _kafka_options(self) -> dict[str, str]:
        options = {"kafka.bootstrap.servers": self.settings.bootstrap_servers}
        options.update({f"kafka.{k}": v for k, v in self.settings.kafka_options.items()})
        return options

    def _read(self, topic: str) -> DataFrame:
        s = self.settings
        reader = (
            self.spark.readStream.format("kafka")
            .options(**self._kafka_options())
            .option("subscribe", topic)
            .option("startingOffsets", s.starting_offsets)
            # Records deleted by retention before the job read them are gone either way;
            # stopping the job for it would lose the windows of everything after them.
            .option("failOnDataLoss", "false")
        )
        if s.max_offsets_per_trigger:
            reader = reader.option("maxOffsetsPerTrigger", str(s.max_offsets_per_trigger))
        return reader.load()

    def _sink(self, rows: DataFrame, name: str) -> StreamingQuery:
        s = self.settings
        checkpoint = _checkpoint_path(s.checkpoint, name)
        return (
            rows.writeStream.format("kafka")
            .queryName(name)
            .options(**self._kafka_options())
            .option("checkpointLocation", checkpoint)
            .outputMode("append")
            .trigger(processingTime=spark_interval(s.trigger_s))
            .start()
        )


def _to(topic: str, rows: DataFrame) -> DataFrame:
    return rows.select(
        F.lit(topic).alias("topic"), "key", "value", F.lit(None).cast(_HEADERS).alias("headers")
    )


def _union(frames: Iterable[DataFrame]) -> DataFrame:
    return reduce(DataFrame.unionByName, frames)


def _checkpoint_path(root: str, name: str) -> str:
    if "://" in root:  # hdfs://, s3a://, dbfs:/ … as the cluster knows them
        return f"{root.rstrip('/')}/{name}"
    return str(Path(root).expanduser().resolve() / name)


__all__ = [
    "KAFKA_PACKAGE",
    "AnalyticsJob",
    "build_session",
    "launched_by_spark_submit",
]
