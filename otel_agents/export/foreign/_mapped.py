"""What an adapter makes of a foreign span, and the readers adapters share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ROLE_AGENT = "agent"
ROLE_TOOL = "tool"
ROLE_WORKFLOW = "workflow"
ROLE_LLM = "llm"
#: Model names instrumentations write when they do not know the model.
UNKNOWN_MODELS = frozenset({"", "unknown", "none", "null"})


class LlmUsage:
    """Tokens, model and provider of one LLM call (or the totals an agent span carries)."""

    __slots__ = (
        "cached_input_tokens",
        "input_tokens",
        "model",
        "output_tokens",
        "provider",
        "reasoning_tokens",
    )

    def __init__(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cached_input_tokens: int | None = None,
        reasoning_tokens: int | None = None,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cached_input_tokens = cached_input_tokens
        self.reasoning_tokens = reasoning_tokens
        self.model = model
        self.provider = provider

    @property
    def has_tokens(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None


class Mapped:
    """A foreign span read by an adapter.

    ``name`` is None when the span names no agent/tool (``fallback_name`` is then the span
    name); ``usage`` holds an LLM call's usage or an agent span's own totals; ``attributes``
    are our semantic-convention attributes the event should carry (error type, session...).
    """

    __slots__ = ("attributes", "convention", "merge_key", "name", "role", "usage")

    def __init__(
        self,
        role: str,
        name: str | None,
        convention: str,
        usage: LlmUsage | None = None,
        attributes: dict[str, Any] | None = None,
        merge_key: str | None = None,
    ) -> None:
        self.role = role
        self.name = name
        self.convention = convention
        self.usage = usage
        self.attributes = attributes or {}
        #: Set when the span may be a nested layer of its parent's run (same name).
        self.merge_key = merge_key


def first_int(attributes: Mapping[str, Any], keys: Sequence[str]) -> int | None:
    for key in keys:
        value = attributes.get(key)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value))
            except ValueError:
                continue
    return None


def first_str(attributes: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def model_of(attributes: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    """The first known model name: request model, then response model (traceloop's
    LangChain spans say ``unknown`` for the request model)."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip().lower() not in UNKNOWN_MODELS:
            return value
    return None


def session_attributes(
    attributes: Mapping[str, Any], session_keys: Sequence[str], user_keys: Sequence[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    session = first_str(attributes, session_keys)
    if session is not None:
        out["session.id"] = session
    user = first_str(attributes, user_keys)
    if user is not None:
        out["user.id"] = user
    return out
