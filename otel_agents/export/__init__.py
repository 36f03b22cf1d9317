"""Export: configuring the SDK and sending finished actions to their sinks.

- ``configure``: ``configure()``, ``shutdown()``, ``force_flush()``, ``recent_events()``.
- ``otlp_signals``: where each OTLP signal goes (traces, metrics) by the standard
  environment variables; a metric exporter that reports a refusing endpoint once.
- ``processor``: the span processor that turns finished spans into OutcomeEvents for sinks.
- ``sampling``: a sampler wrapper that keeps outcome spans through trace sampling.
- ``metrics``: GenAI histograms and outcome counters.
- ``jsonl``: the embedded outcome log; ``recent``: the in-memory ring of recent events.
- ``feedback``: ``feedback()``; ``feedback_routes``: where a FeedbackEvent goes.
- ``kafka``: the Kafka exporter, its settings, spool and replay.
- ``foreign``: adapters reading other libraries' spans (GenAI conventions, OpenInference,
  traceloop) as actions and LLM calls, and the content policy applied to them.
- ``rollup``: LLM calls rolled up into the nearest action; ``prices``: the price table.
- ``sessions``: session and user ids stamped on every span of a run.
"""
