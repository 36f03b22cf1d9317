"""``otel-agents monitor``: a live terminal dashboard over OutcomeEvents and feedback.

    state = MonitorState()
    run_live(FileSource([Path(".otel-agents/outcomes.jsonl")]), state)

Modules, one job each: ``decode`` (what a message is), ``file_source`` and
``kafka_source`` (where messages come from), ``state`` (bounded aggregates and trends),
``panels`` (rich renderables), ``app`` (the live loop and the one-shot summary).
"""

from otel_agents.monitor.app import EventSource, run_live, run_status
from otel_agents.monitor.file_source import FileSource
from otel_agents.monitor.state import MonitorFilter, MonitorState

__all__ = ["EventSource", "FileSource", "MonitorFilter", "MonitorState", "run_live", "run_status"]
