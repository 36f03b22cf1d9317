"""Export: configuring the SDK and sending finished actions to their sinks.

- ``configure``: ``configure()``, ``shutdown()``, ``force_flush()``, ``recent_events()``.
- ``processor``: the span processor that turns finished spans into OutcomeEvents for sinks.
- ``sampling``: a sampler wrapper that keeps outcome spans through trace sampling.
- ``metrics``: GenAI histograms and outcome counters.
- ``jsonl``: the embedded outcome log; ``recent``: the in-memory ring of recent events.
- ``feedback``: ``feedback()``; ``feedback_routes``: where a FeedbackEvent goes.
- ``kafka``: the Kafka exporter, its settings, spool and replay.
"""
