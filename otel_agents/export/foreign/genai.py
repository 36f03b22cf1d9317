"""OpenTelemetry GenAI semantic conventions (``gen_ai.operation.name``).

Used by pydantic-ai, the OpenTelemetry-contrib GenAI instrumentations and many LLM
clients. Agent spans may carry the run's totals (``gen_ai.aggregated_usage.*`` from
pydantic-ai, or ``gen_ai.usage.*`` on the agent span itself): those are the run's own
numbers, so child LLM calls then add calls and latency, never tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_agents import semconv
from otel_agents.export.foreign._mapped import (
    ROLE_AGENT,
    ROLE_LLM,
    ROLE_TOOL,
    ROLE_WORKFLOW,
    LlmUsage,
    Mapped,
    first_int,
    first_str,
    model_of,
    session_attributes,
)

CONVENTION = "genai"
LLM_OPERATIONS = frozenset(
    {"chat", "text_completion", "generate_content", "embeddings", "completion"}
)
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
CACHED_INPUT_TOKENS = (
    semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "gen_ai.usage.details.cache_read_tokens",
)
REASONING_TOKENS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.output_tokens.reasoning",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.details.reasoning_tokens",
)
AGGREGATED_INPUT = ("gen_ai.aggregated_usage.input_tokens",)
AGGREGATED_OUTPUT = ("gen_ai.aggregated_usage.output_tokens",)
MODEL = (semconv.GEN_AI_REQUEST_MODEL, semconv.GEN_AI_RESPONSE_MODEL, "model_name")
PROVIDER = (semconv.GEN_AI_PROVIDER_NAME, "gen_ai.system")
SESSION = (semconv.SESSION_ID, "langfuse.session.id")
USER = (semconv.USER_ID, "langfuse.user.id")


def usage_of(attributes: Mapping[str, Any], aggregated: bool = False) -> LlmUsage:
    """The usage a GenAI span reports (``aggregated``: prefer an agent span's run totals)."""
    input_tokens = output_tokens = None
    if aggregated:
        input_tokens = first_int(attributes, AGGREGATED_INPUT)
        output_tokens = first_int(attributes, AGGREGATED_OUTPUT)
    if input_tokens is None and output_tokens is None:
        input_tokens = first_int(attributes, INPUT_TOKENS)
        output_tokens = first_int(attributes, OUTPUT_TOKENS)
    return LlmUsage(
        input_tokens,
        output_tokens,
        first_int(attributes, CACHED_INPUT_TOKENS),
        first_int(attributes, REASONING_TOKENS),
        model_of(attributes, MODEL),
        first_str(attributes, PROVIDER),
    )


def map_span(attributes: Mapping[str, Any], span_name: str) -> Mapped | None:
    operation = attributes.get(semconv.GEN_AI_OPERATION_NAME)
    if operation is None:
        return None
    ids = session_attributes(attributes, SESSION, USER)
    if operation in LLM_OPERATIONS:
        return Mapped(ROLE_LLM, None, CONVENTION, usage_of(attributes), ids)
    if operation == semconv.OPERATION_INVOKE_AGENT:
        # No agent name: a framework's run around agents (e.g. "Agent workflow"); the
        # processor decides agent or workflow once it knows what ran below.
        name = first_str(attributes, (semconv.GEN_AI_AGENT_NAME,))
        return Mapped(
            ROLE_AGENT, name, CONVENTION, usage_of(attributes, aggregated=True), ids, name
        )
    if operation == semconv.OPERATION_EXECUTE_TOOL:
        name = first_str(attributes, (semconv.GEN_AI_TOOL_NAME,))
        return Mapped(ROLE_TOOL, name or span_name, CONVENTION, None, ids)
    if operation == semconv.OPERATION_INVOKE_WORKFLOW:
        name = first_str(attributes, (semconv.GEN_AI_WORKFLOW_NAME,))
        return Mapped(ROLE_WORKFLOW, name or span_name, CONVENTION, None, ids)
    return None  # create_agent, execute_task, ...: steps inside a run, not outcomes
