"""``otel-agents analytics``: the Spark analytics job (see ``otel_agents.analytics``)."""

from otel_agents.analytics.command import register

__all__ = ["register"]
