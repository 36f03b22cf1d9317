"""OpenLLMetry / traceloop (``traceloop.span.kind``, ``traceloop.entity.name``).

Its LangChain instrumentation opens ``invoke_agent X`` (GenAI names) with a child
``X.workflow`` (kind ``workflow``) for the same run: the child carries the name of its
parent and the processor folds it into the parent's event. LLM spans carry GenAI usage
names (and ``llm.request.type``); session and user ids come as association properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_agents import semconv
from otel_agents.export.foreign import genai
from otel_agents.export.foreign._mapped import (
    ROLE_AGENT,
    ROLE_LLM,
    ROLE_TOOL,
    ROLE_WORKFLOW,
    Mapped,
    first_str,
    session_attributes,
)

CONVENTION = "traceloop"
SPAN_KIND = "traceloop.span.kind"
ENTITY_NAME = "traceloop.entity.name"
WORKFLOW_NAME = "traceloop.workflow.name"
REQUEST_TYPE = "llm.request.type"
_ASSOCIATION = "traceloop.association.properties."
SESSION = (_ASSOCIATION + "session_id", _ASSOCIATION + "session.id", semconv.SESSION_ID)
USER = (_ASSOCIATION + "user_id", _ASSOCIATION + "user.id", semconv.USER_ID)


def map_span(attributes: Mapping[str, Any], span_name: str) -> Mapped | None:
    kind = attributes.get(SPAN_KIND)
    if kind is None:
        if REQUEST_TYPE in attributes:  # an LLM call made by a traceloop client instrumentation
            ids = session_attributes(attributes, SESSION, USER)
            return Mapped(ROLE_LLM, None, CONVENTION, genai.usage_of(attributes), ids)
        return None
    ids = session_attributes(attributes, SESSION, USER)
    name = first_str(attributes, (ENTITY_NAME,)) or span_name
    if kind == "tool":
        # The run's name, not a gen_ai.agent.name the tool span may have inherited.
        agent = first_str(attributes, (WORKFLOW_NAME,))
        if agent is not None:
            ids[semconv.GEN_AI_AGENT_NAME] = agent
        return Mapped(ROLE_TOOL, name, CONVENTION, None, ids)
    if kind == "agent" or (
        kind == "workflow"
        and attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OPERATION_INVOKE_AGENT
    ):
        return Mapped(ROLE_AGENT, name, CONVENTION, None, ids, name)
    if kind == "workflow":
        return Mapped(ROLE_WORKFLOW, name, CONVENTION, None, ids, name)
    return None  # task: a step inside a run
