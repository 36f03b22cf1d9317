"""Analysis of OutcomeEvents and FeedbackEvents, shared by the CLI, monitor and demo.

- ``tally``: one tally per (kind, name), one percentile rule; ``status``, ``monitor``,
  the demo and ``learning`` all report its figures.
- ``learning``: ``learning_summary()``: is an agent getting better?
"""
