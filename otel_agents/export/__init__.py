"""Export: sending finished actions and their telemetry to their destinations.

- ``otlp_signals``: where each OTLP signal goes (traces, metrics), by the standard
  environment variables, and a metric exporter that reports a refusing endpoint once.
"""
