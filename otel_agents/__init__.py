"""otel-agents: OpenTelemetry instrumentation for AI agents."""

from otel_agents.semconv import ActionKind, Severity, Status

__all__ = ["ActionKind", "Severity", "Status"]
__version__ = "0.1.0"
