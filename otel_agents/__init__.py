"""otel-agents: OpenTelemetry instrumentation for AI agents, with outcomes streamed to Kafka.

import otel_agents as oa

oa.configure(service_name="support-bot")

@oa.agent
def planner(task: str) -> dict: ...
"""

from otel_agents._configure import (
    Telemetry,
    configure,
    force_flush,
    get_telemetry,
    recent_events,
    shutdown,
)
from otel_agents.errors import ConfigurationError
from otel_agents.event import OutcomeEvent, load_schema
from otel_agents.feedback import FeedbackEvent, feedback
from otel_agents.hooks import ActionCall, add_post_hook, add_pre_hook, remove_hook
from otel_agents.instrument import agent, tool
from otel_agents.learning import LearningSummary, learning_summary
from otel_agents.recording import current_event_id, evaluation, record, thought
from otel_agents.semconv import ActionKind, Severity, Status
from otel_agents.session import session, user
from otel_agents.workflow import correlate, workflow

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
__version__ = "0.1.0"
