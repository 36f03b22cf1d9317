"""Kafka: OutcomeEvents (and feedback) to a topic, durable spool when the broker is away.

- ``exporter``: ``KafkaOutcomeExporter``, the span exporter behind ``kafka_outcomes``.
- ``settings``: producer settings from arguments and ``OTEL_AGENTS_KAFKA_*``.
- ``spool``: the append-only local spool of records not yet delivered.
"""

from otel_agents.export.kafka.exporter import KafkaOutcomeExporter

__all__ = ["KafkaOutcomeExporter"]
