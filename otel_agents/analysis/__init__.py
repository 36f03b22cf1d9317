"""Analysis of OutcomeEvents and FeedbackEvents, shared by the CLI, monitor and demo.

- ``summary``: per-action statistics for ``otel-agents status`` and the demo.
- ``learning``: ``learning_summary()``: is an agent getting better?
"""
