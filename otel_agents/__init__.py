"""otel-agents: OpenTelemetry instrumentation for AI agents, with outcomes streamed to Kafka.

import otel_agents as oa

oa.configure(service_name="support-bot")

@oa.agent
def planner(task: str) -> dict: ...

Public names load on first use (PEP 562): ``import otel_agents`` brings in only the
conventions and errors (``Status`` and ``Severity`` are created on first read); ``oa.agent``
loads the decorators, ``oa.configure`` the SDK and exporters, never Kafka or rich until
asked for. The auto-instrumentation start-up imports
modules of this package, so whatever is imported here, every flagged process pays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from otel_agents._lazy import lazy_attributes
from otel_agents.errors import ConfigurationError
from otel_agents.semconv import ActionKind
from otel_agents.version import __version__

if TYPE_CHECKING:
    from otel_agents.analysis.learning import LearningSummary, learning_summary
    from otel_agents.events.feedback import FeedbackEvent
    from otel_agents.events.outcome import OutcomeEvent, load_schema
    from otel_agents.export.configure import (
        Telemetry,
        configure,
        force_flush,
        get_telemetry,
        recent_events,
        shutdown,
    )
    from otel_agents.export.feedback import feedback
    from otel_agents.instrument.decorators import agent, tool
    from otel_agents.instrument.hooks import (
        ActionCall,
        add_post_hook,
        add_pre_hook,
        remove_hook,
    )
    from otel_agents.instrument.recording import current_event_id, evaluation, record, thought
    from otel_agents.instrument.session import session, user
    from otel_agents.instrument.workflow import correlate, workflow
    from otel_agents.semconv import Severity, Status

_LAZY = {
    "Severity": "otel_agents.semconv",
    "Status": "otel_agents.semconv",
    "agent": "otel_agents.instrument.decorators",
    "tool": "otel_agents.instrument.decorators",
    "ActionCall": "otel_agents.instrument.hooks",
    "add_post_hook": "otel_agents.instrument.hooks",
    "add_pre_hook": "otel_agents.instrument.hooks",
    "remove_hook": "otel_agents.instrument.hooks",
    "current_event_id": "otel_agents.instrument.recording",
    "evaluation": "otel_agents.instrument.recording",
    "record": "otel_agents.instrument.recording",
    "thought": "otel_agents.instrument.recording",
    "session": "otel_agents.instrument.session",
    "user": "otel_agents.instrument.session",
    "correlate": "otel_agents.instrument.workflow",
    "workflow": "otel_agents.instrument.workflow",
    "LearningSummary": "otel_agents.analysis.learning",
    "learning_summary": "otel_agents.analysis.learning",
    "FeedbackEvent": "otel_agents.events.feedback",
    "OutcomeEvent": "otel_agents.events.outcome",
    "load_schema": "otel_agents.events.outcome",
    "Telemetry": "otel_agents.export.configure",
    "configure": "otel_agents.export.configure",
    "force_flush": "otel_agents.export.configure",
    "get_telemetry": "otel_agents.export.configure",
    "recent_events": "otel_agents.export.configure",
    "shutdown": "otel_agents.export.configure",
    "feedback": "otel_agents.export.feedback",
}


__getattr__ = lazy_attributes(globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ActionCall",
    "ActionKind",
    "ConfigurationError",
    "FeedbackEvent",
    "LearningSummary",
    "OutcomeEvent",
    "Severity",
    "Status",
    "Telemetry",
    "__version__",
    "add_post_hook",
    "add_pre_hook",
    "agent",
    "configure",
    "correlate",
    "current_event_id",
    "evaluation",
    "feedback",
    "force_flush",
    "get_telemetry",
    "learning_summary",
    "load_schema",
    "recent_events",
    "record",
    "remove_hook",
    "session",
    "shutdown",
    "thought",
    "tool",
    "user",
    "workflow",
]
