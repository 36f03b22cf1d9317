"""A tiny agent app that knows nothing of otel-agents."""
