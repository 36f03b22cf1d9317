"""OpenInference (``openinference.span.kind``): OpenAI Agents SDK, LangChain/LangGraph,
smolagents, CrewAI, LlamaIndex and LLM clients instrumented by Arize's packages.

An AGENT span without ``agent.name`` is either a framework's run around named agents
("Agent workflow" of the OpenAI Agents SDK) or a graph and its nodes (LangGraph names
the graph span after the agent and marks its ``agent`` nodes AGENT too); the processor
tells them apart from what ran below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_agents import semconv
from otel_agents.export.foreign._mapped import (
    ROLE_AGENT,
    ROLE_LLM,
    ROLE_TOOL,
    LlmUsage,
    Mapped,
    first_int,
    first_str,
    model_of,
    session_attributes,
)

CONVENTION = "openinference"
SPAN_KIND = "openinference.span.kind"
INPUT_TOKENS = ("llm.token_count.prompt",)
OUTPUT_TOKENS = ("llm.token_count.completion",)
CACHED_INPUT_TOKENS = ("llm.token_count.prompt_details.cache_read",)
REASONING_TOKENS = ("llm.token_count.completion_details.reasoning",)
MODEL = ("llm.model_name", "embedding.model_name")
PROVIDER = ("llm.provider", "llm.system")
SESSION = (semconv.SESSION_ID,)
USER = (semconv.USER_ID,)


def usage_of(attributes: Mapping[str, Any]) -> LlmUsage:
    return LlmUsage(
        first_int(attributes, INPUT_TOKENS),
        first_int(attributes, OUTPUT_TOKENS),
        first_int(attributes, CACHED_INPUT_TOKENS),
        first_int(attributes, REASONING_TOKENS),
        model_of(attributes, MODEL),
        first_str(attributes, PROVIDER),
    )


def map_span(attributes: Mapping[str, Any], span_name: str) -> Mapped | None:
    kind = attributes.get(SPAN_KIND)
    if kind is None:
        return None
    ids = session_attributes(attributes, SESSION, USER)
    if kind == "LLM" or kind == "EMBEDDING":
        return Mapped(ROLE_LLM, None, CONVENTION, usage_of(attributes), ids)
    if kind == "AGENT":
        name = first_str(attributes, ("agent.name",))
        return Mapped(ROLE_AGENT, name, CONVENTION, None, ids, name)
    if kind == "TOOL":
        name = first_str(attributes, ("tool.name",))
        attrs = dict(ids)
        call_id = first_str(attributes, ("tool_call.id", "tool.id"))
        if call_id is not None:
            attrs[semconv.GEN_AI_TOOL_CALL_ID] = call_id
        return Mapped(ROLE_TOOL, name or span_name, CONVENTION, None, attrs)
    return None  # CHAIN, RETRIEVER, RERANKER, GUARDRAIL, EVALUATOR: steps, not outcomes
