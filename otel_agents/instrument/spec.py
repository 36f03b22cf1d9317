"""What a decorator knows about a function at decoration time, computed once."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otel_agents import semconv
from otel_agents._otel_private import clean_attributes
from otel_agents.semconv import ActionKind

OutcomeHook = Callable[[Any], Mapping[str, Any] | None]
#: Set on every wrapper, so a function is never wrapped twice.
SPEC_ATTRIBUTE = "__otel_agents_spec__"


class ActionSpec:
    """What a decorator knows at decoration time; shared by every call."""

    __slots__ = (
        "attributes",
        "capture_content",
        "kind",
        "name",
        "outcome",
        "skip_first_argument",
        "span_name",
    )

    def __init__(
        self,
        kind: ActionKind,
        name: str,
        attributes: dict[str, Any],
        outcome: OutcomeHook | None,
        capture_content: bool | None,
        skip_first_argument: bool,
    ) -> None:
        self.kind = kind
        self.name = name
        self.span_name = f"{semconv.OPERATION_BY_KIND[kind]} {name}"
        self.attributes = attributes
        self.outcome = outcome
        self.capture_content = capture_content
        self.skip_first_argument = skip_first_argument


def make_spec(
    kind: ActionKind,
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    action_type: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    outcome: OutcomeHook | None = None,
    capture_content: bool | None = None,
    agent_id: str | None = None,
    version: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    tool_type: str | None = None,
    owner_name: str | None = None,
) -> ActionSpec:
    """Build the static part of an action's span from the decorator's arguments."""
    resolved = name or owner_name or getattr(fn, "__name__", None) or "unnamed"
    if description is None:
        doc = inspect.getdoc(fn)
        description = doc.strip().splitlines()[0][:256] if doc else None
    attributes: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_BY_KIND[kind],
        semconv.NAME_ATTRIBUTE_BY_KIND[kind]: resolved,
        semconv.ACTION_TYPE: action_type or kind.value,
    }
    if kind is ActionKind.AGENT:
        _put(attributes, semconv.GEN_AI_AGENT_ID, agent_id)
        _put(attributes, semconv.GEN_AI_AGENT_DESCRIPTION, description)
        _put(attributes, semconv.GEN_AI_AGENT_VERSION, version)
    elif kind is ActionKind.TOOL:
        attributes[semconv.GEN_AI_TOOL_TYPE] = tool_type or "function"
        _put(attributes, semconv.GEN_AI_TOOL_DESCRIPTION, description)
    _put(attributes, semconv.GEN_AI_REQUEST_MODEL, model)
    _put(attributes, semconv.GEN_AI_PROVIDER_NAME, provider)
    if tags:
        # recording (and the action state it reads) loads with the first call, not when
        # auto-instrumentation wraps its targets at start-up.
        from otel_agents.instrument.recording import bounded_tags

        attributes[semconv.TAGS] = bounded_tags(tags)
    return ActionSpec(
        kind,
        resolved,
        clean_attributes(attributes),
        outcome,
        capture_content,
        _takes_self_first(fn),
    )


def _put(attributes: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        attributes[key] = value


def _takes_self_first(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("self", "cls")
