"""Instrumentation: agent code in, OpenTelemetry spans out. Knows nothing of exporting.

- ``decorators``: ``@agent`` and ``@tool``; the static part of a span, built once.
- ``action``: one running action (its span, ids, status) and how it ends.
- ``recording``: ``record()``, ``thought()``, ``evaluation()``, ``current_event_id()``.
- ``workflow``: ``workflow()`` and ``correlate()``.
- ``session``: ``session()`` and ``user()``, the run's session and end user as baggage.
- ``hooks``: pre- and post-call hooks and their time contract.
- ``background``: the one worker thread that runs background post hooks.
- ``threads``: carry the caller's context into thread pools.
"""
