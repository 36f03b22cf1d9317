"""Every attribute, event and enum name otel-agents reads or writes, defined once.

Instrumentation writes these names on spans; exporters read them back. The two sides
meet only here. OpenTelemetry GenAI semantic conventions (``gen_ai.*``, status
Development) are used wherever one exists; our own names live under ``agent.*``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from otel_agents._lazy import lazy_attributes
from otel_agents._text_enum import TextEnum

if TYPE_CHECKING:
    from otel_agents._semconv_enums import DEFAULT_SEVERITY as DEFAULT_SEVERITY
    from otel_agents._semconv_enums import FeedbackKind as FeedbackKind
    from otel_agents._semconv_enums import Severity as Severity
    from otel_agents._semconv_enums import Status as Status

# --- OpenTelemetry GenAI semantic conventions -------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_ID: Final = "gen_ai.agent.id"
GEN_AI_AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
GEN_AI_AGENT_VERSION: Final = "gen_ai.agent.version"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
#: Input tokens served from the provider's cache: a subset of the input tokens.
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
ERROR_TYPE: Final = "error.type"
#: ``error.type`` when the error's type is unknown (OpenTelemetry general conventions).
ERROR_TYPE_OTHER: Final = "_OTHER"
# Session and user (OpenTelemetry general conventions; also OpenInference's names).
SESSION_ID: Final = "session.id"
USER_ID: Final = "user.id"

# gen_ai.operation.name values
OPERATION_INVOKE_AGENT: Final = "invoke_agent"
OPERATION_EXECUTE_TOOL: Final = "execute_tool"
OPERATION_INVOKE_WORKFLOW: Final = "invoke_workflow"
#: Operations whose spans become OutcomeEvents.
OUTCOME_OPERATIONS: Final = frozenset(
    {OPERATION_INVOKE_AGENT, OPERATION_EXECUTE_TOOL, OPERATION_INVOKE_WORKFLOW}
)

# The evaluation event: the closest standard for quality/confidence/feedback scores.
EVENT_GEN_AI_EVALUATION_RESULT: Final = "gen_ai.evaluation.result"
GEN_AI_EVALUATION_NAME: Final = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"
GEN_AI_EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"

# Metric instruments (GenAI conventions) and our own.
METRIC_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
METRIC_INVOKE_AGENT_DURATION: Final = "gen_ai.invoke_agent.duration"
METRIC_EXECUTE_TOOL_DURATION: Final = "gen_ai.execute_tool.duration"
METRIC_WORKFLOW_DURATION: Final = "gen_ai.workflow.duration"
# otel-agents' own metrics (no convention exists): see otel_agents/metrics.py.
METRIC_OUTCOMES: Final = "agent.outcomes"
METRIC_OUTCOME_COST: Final = "agent.outcome.cost_usd"
METRIC_OUTCOME_QUALITY: Final = "agent.outcome.quality_score"
METRIC_OUTCOME_CONFIDENCE: Final = "agent.outcome.confidence_score"
METRIC_OUTCOME_REWARD: Final = "agent.outcome.reward"
METRIC_OUTCOME_REWARDED: Final = "agent.outcome.rewarded"

# Exception event (OpenTelemetry general conventions).
EVENT_EXCEPTION: Final = "exception"
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"

# --- otel-agents' own names: only where no convention exists ----------------------
OUTCOME_STATUS: Final = "agent.outcome.status"
OUTCOME_SEVERITY: Final = "agent.outcome.severity"
OUTCOME_QUALITY_SCORE: Final = "agent.outcome.quality_score"
OUTCOME_CONFIDENCE_SCORE: Final = "agent.outcome.confidence_score"
OUTCOME_REWARD: Final = "agent.outcome.reward"
OUTCOME_COST_USD: Final = "agent.outcome.cost_usd"
OUTCOME_RETRY_COUNT: Final = "agent.outcome.retry_count"
OUTCOME_LLM_LATENCY_MS: Final = "agent.outcome.llm_latency_ms"
OUTCOME_LATENCY_MS: Final = "agent.outcome.latency_ms"
OUTCOME_TOTAL_TOKENS: Final = "agent.outcome.total_tokens"
OUTCOME_ERROR_MESSAGE: Final = "agent.outcome.error_message"
OUTCOME_STEPS_TOTAL: Final = "agent.outcome.steps_total"
OUTCOME_STEPS_FAILED: Final = "agent.outcome.steps_failed"
#: LLM calls rolled up into an action, and the reasoning subset of its output tokens.
OUTCOME_LLM_CALLS: Final = "agent.outcome.llm_calls"
OUTCOME_REASONING_TOKENS: Final = "agent.outcome.reasoning_tokens"
ACTION_TYPE: Final = "agent.action.type"
WORKFLOW_ID: Final = "agent.workflow.id"
CORRELATION_ID: Final = "agent.correlation.id"
TAGS: Final = "agent.tags"
METADATA_PREFIX: Final = "agent.metadata."
INPUT: Final = "agent.input"
OUTPUT: Final = "agent.output"

# Span events of our own.
EVENT_THOUGHT: Final = "agent.thought"
THOUGHT_TEXT: Final = "agent.thought.text"

# Baggage keys: carry workflow and correlation ids across process boundaries.
BAGGAGE_WORKFLOW_ID: Final = WORKFLOW_ID
BAGGAGE_WORKFLOW_NAME: Final = GEN_AI_WORKFLOW_NAME
BAGGAGE_CORRELATION_ID: Final = CORRELATION_ID
BAGGAGE_SESSION_ID: Final = SESSION_ID
BAGGAGE_USER_ID: Final = USER_ID

#: Instrumentation scope name of every tracer and meter otel-agents creates.
INSTRUMENTATION_SCOPE: Final = "otel_agents"


class ActionKind(TextEnum):
    """Which decorator made the span: it picks the span name and operation."""

    AGENT = "agent"
    TOOL = "tool"
    WORKFLOW = "workflow"


OPERATION_BY_KIND: Final = {
    ActionKind.AGENT: OPERATION_INVOKE_AGENT,
    ActionKind.TOOL: OPERATION_EXECUTE_TOOL,
    ActionKind.WORKFLOW: OPERATION_INVOKE_WORKFLOW,
}
KIND_BY_OPERATION: Final = {op: kind for kind, op in OPERATION_BY_KIND.items()}
NAME_ATTRIBUTE_BY_KIND: Final = {
    ActionKind.AGENT: GEN_AI_AGENT_NAME,
    ActionKind.TOOL: GEN_AI_TOOL_NAME,
    ActionKind.WORKFLOW: GEN_AI_WORKFLOW_NAME,
}

# --- Feedback on agent actions (FeedbackEvent, ``oa.feedback``) ---------------------
FEEDBACK_ID: Final = "agent.feedback.id"
FEEDBACK_KIND: Final = "agent.feedback.kind"
FEEDBACK_EVENT_ID: Final = "agent.feedback.event_id"
#: ``gen_ai.evaluation.name`` of the evaluation event a feedback span carries.
EVALUATION_USER_FEEDBACK: Final = "user_feedback"
#: Counter of feedback by ``gen_ai.agent.name`` and ``agent.feedback.kind``.
METRIC_FEEDBACK: Final = "otel_agents.feedback"


# --- Kafka record headers ----------------------------------------------------------
#: Schema version of the record's event. A CloudEvents attribute name (lowercase letters
#: and digits only): CloudEvents SDKs turn Kafka headers into attributes.
HEADER_SCHEMA_VERSION: Final = "schemaversion"
#: Written before 0.2; consumers still read it (``schema_version_from_headers``).
HEADER_SCHEMA_VERSION_LEGACY: Final = "schema-version"


def operation_of_span_name(span_name: str) -> str | None:
    """The outcome operation a span name of ours starts with (``invoke_agent planner``).

    The SDK's attribute limits may evict or cut ``gen_ai.operation.name``; the span name,
    fixed at decoration time, is out of their reach.
    """
    operation = span_name.partition(" ")[0]
    return operation if operation in OUTCOME_OPERATIONS else None


# Status, Severity (with DEFAULT_SEVERITY) and FeedbackKind are defined in
# ``otel_agents._semconv_enums`` and created when first read here: an enum class costs
# ~0.6 M instructions to create, and an auto-instrumented start-up needs only ActionKind.
__getattr__ = lazy_attributes(
    globals(),
    dict.fromkeys(
        ("Status", "Severity", "DEFAULT_SEVERITY", "FeedbackKind"), "otel_agents._semconv_enums"
    ),
)
