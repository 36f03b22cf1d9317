"""Kept for imports written before the move: the exporter lives in ``export.kafka``."""

from otel_agents.export.kafka.exporter import KafkaExporterStats, KafkaOutcomeExporter

__all__ = ["KafkaExporterStats", "KafkaOutcomeExporter"]
