"""Stream analytics on Apache Spark: agent-metrics and agent-learning from the Kafka topics.

    otel-agents analytics run --bootstrap-servers kafka:9092 --checkpoint /var/lib/oa-ckpt
    otel-agents analytics spark-submit --master yarn --bootstrap-servers kafka:9092 …

Needs the ``spark`` extra (pyspark 4.2.0) and Java 17 to run. Importing this package
does not import pyspark: ``settings``, ``records`` and ``submit`` are plain Python; the
Spark modules (``schemas``, ``parse``, ``metrics``, ``learning``, ``job``) are imported
only by ``analytics run``.
"""

from otel_agents.analytics.records import (
    LEARNING_TYPE,
    METRICS_TYPE,
    load_learning_schema,
    load_metrics_schema,
    window_id,
)
from otel_agents.analytics.settings import AnalyticsSettings

__all__ = [
    "LEARNING_TYPE",
    "METRICS_TYPE",
    "AnalyticsSettings",
    "load_learning_schema",
    "load_metrics_schema",
    "window_id",
]
