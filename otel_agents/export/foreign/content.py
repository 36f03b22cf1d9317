"""One content policy for every span, ours or another library's.

With content capture off (the default) no prompt, completion, message list, tool argument
or result from any instrumentation reaches an event; with it on, other libraries' content
gets our size limit and redaction, like ours. Other libraries' internal bookkeeping
(``logfire.*``, JSON schemas of their own attributes) never reaches an event.

    policy = ContentPolicy(capture=False, redact=redactor, max_length=4096)
    kept = policy.filter_attributes(span_attributes)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otel_agents import semconv
from otel_agents.events.jsonsafe import truncate_text

#: Attributes that hold content (prompts, completions, messages, tool I/O), by name.
CONTENT_KEYS = frozenset(
    {
        # OpenTelemetry GenAI
        semconv.GEN_AI_INPUT_MESSAGES,
        semconv.GEN_AI_OUTPUT_MESSAGES,
        semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
        semconv.GEN_AI_TOOL_CALL_ARGUMENTS,
        semconv.GEN_AI_TOOL_CALL_RESULT,
        "gen_ai.prompt",
        "gen_ai.completion",
        "gen_ai.task.input",
        "gen_ai.task.output",
        # OpenInference
        "input.value",
        "output.value",
        "llm.prompts",
        # traceloop
        "traceloop.entity.input",
        "traceloop.entity.output",
        # pydantic-ai
        "pydantic_ai.all_messages",
        "all_messages_events",
        "final_result",
        "tool_arguments",
        "tool_response",
        "prompt",
        # our own (written only when capture is on)
        semconv.INPUT,
        semconv.OUTPUT,
    }
)
#: Attributes that hold content, by prefix (indexed message lists, documents).
CONTENT_PREFIXES = (
    "llm.input_messages.",
    "llm.output_messages.",
    "llm.prompt_template.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "message.",
    "retrieval.documents.",
    "reranker.",
    "embedding.embeddings.",
)
#: Other libraries' internal attributes: never useful in an outcome.
NOISE_PREFIXES = ("logfire.",)
NOISE_KEYS = frozenset({"model_request_parameters", "gen_ai.tool.definitions", "tool.parameters"})
#: Span events that carry content (GenAI content events).
CONTENT_EVENTS = frozenset(
    {
        "gen_ai.content.prompt",
        "gen_ai.content.completion",
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.assistant.message",
        "gen_ai.tool.message",
        "gen_ai.choice",
        "gen_ai.client.inference.operation.details",
    }
)
#: Where other libraries keep an action's input and output, best first.
INPUT_KEYS = (
    "input.value",
    "traceloop.entity.input",
    semconv.GEN_AI_TOOL_CALL_ARGUMENTS,
    semconv.GEN_AI_INPUT_MESSAGES,
    "pydantic_ai.all_messages",
)
OUTPUT_KEYS = (
    "output.value",
    "traceloop.entity.output",
    semconv.GEN_AI_TOOL_CALL_RESULT,
    "final_result",
    semconv.GEN_AI_OUTPUT_MESSAGES,
)
#: Strings shorter than this cannot hold a secret any redaction pattern finds.
_MIN_REDACT_LENGTH = 8


def is_content_key(key: str) -> bool:
    return key in CONTENT_KEYS or key.startswith(CONTENT_PREFIXES)


def is_noise_key(key: str) -> bool:
    return key in NOISE_KEYS or key.startswith(NOISE_PREFIXES)


def redactor(patterns: Iterable[str]) -> Callable[[str], str] | None:
    """A function replacing every match of ``patterns`` by ``[REDACTED]`` (None: no patterns)."""
    compiled = tuple(re.compile(pattern) for pattern in patterns)
    if not compiled:
        return None

    def redact(text: str) -> str:
        for pattern in compiled:
            text = pattern.sub("[REDACTED]", text)
        return text

    return redact


class ContentPolicy:
    """What of other libraries' attributes an OutcomeEvent may carry."""

    __slots__ = ("capture", "max_length", "redact")

    def __init__(
        self,
        capture: bool = False,
        redact: Callable[[str], str] | None = None,
        max_length: int = 4096,
    ) -> None:
        self.capture = capture
        self.redact = redact
        self.max_length = max_length

    def text(self, value: Any) -> str:
        """A string value as an event may carry it: redacted, then size-limited."""
        text = value if isinstance(value, str) else str(value)
        if self.redact is not None and len(text) >= _MIN_REDACT_LENGTH:
            text = self.redact(text)
        return truncate_text(text, self.max_length)

    def filter_attributes(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """Content dropped (capture off) or redacted (on); noise dropped; strings redacted."""
        kept: dict[str, Any] = {}
        capture = self.capture
        for key, value in attributes.items():
            if is_noise_key(key):
                continue
            if not capture and is_content_key(key):
                continue
            kept[key] = self._value(value)
        return kept

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (tuple, list)):
            return tuple(self.text(item) if isinstance(item, str) else item for item in value)
        return value

    def io_attributes(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """Our ``agent.input``/``agent.output`` from a foreign span's content (capture on)."""
        if not self.capture:
            return {}
        out: dict[str, Any] = {}
        for target, keys in ((semconv.INPUT, INPUT_KEYS), (semconv.OUTPUT, OUTPUT_KEYS)):
            for key in keys:
                value = attributes.get(key)
                if value is not None:
                    out[target] = self.text(value)
                    break
        return out

    def keeps_event(self, name: str) -> bool:
        return self.capture or name not in CONTENT_EVENTS
