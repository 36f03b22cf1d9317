"""Spans made by other instrumentations, read as agent, tool, workflow or LLM spans.

One adapter per convention (OpenTelemetry GenAI, OpenInference, OpenLLMetry/traceloop),
one registry. Adapters only read a finished span's attributes; they run on the outcome
processor's thread, never on the agent's. ``OTEL_AGENTS_FOREIGN_SPANS`` picks the
conventions (``genai,openinference,traceloop`` by default, ``none`` for none).

    adapters = ForeignSpans.from_setting("genai,openinference")
    mapped = adapters.map(span.attributes)      # Mapped(role="agent", name="planner") or None
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otel_agents.errors import ConfigurationError
from otel_agents.export.foreign import genai, openinference, traceloop
from otel_agents.export.foreign._mapped import (
    ROLE_AGENT,
    ROLE_LLM,
    ROLE_TOOL,
    ROLE_WORKFLOW,
    LlmUsage,
    Mapped,
)

__all__ = [
    "CONVENTIONS",
    "ENV_FOREIGN_SPANS",
    "ROLE_AGENT",
    "ROLE_LLM",
    "ROLE_TOOL",
    "ROLE_WORKFLOW",
    "ForeignSpans",
    "LlmUsage",
    "Mapped",
]

ENV_FOREIGN_SPANS = "OTEL_AGENTS_FOREIGN_SPANS"
_Adapter = Callable[[Mapping[str, Any], str], "Mapped | None"]
#: In the order they are tried: traceloop spans also carry gen_ai.* names.
CONVENTIONS: dict[str, _Adapter] = {
    "traceloop": traceloop.map_span,
    "openinference": openinference.map_span,
    "genai": genai.map_span,
}


class ForeignSpans:
    """The enabled adapters; ``map`` returns the first one's reading of a span."""

    def __init__(self, enabled: Iterable[str]) -> None:
        wanted = set(enabled)
        self.enabled = tuple(name for name in CONVENTIONS if name in wanted)
        self._adapters = tuple(CONVENTIONS[name] for name in self.enabled)

    @classmethod
    def from_setting(cls, raw: str | None) -> ForeignSpans:
        """Parse ``genai,openinference,traceloop`` / ``all`` / ``none``; unknown names fail."""
        text = (raw or "all").strip().lower()
        if text in ("", "all", "true"):
            return cls(CONVENTIONS)
        if text in ("none", "false", "off"):
            return cls(())
        names = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [name for name in names if name not in CONVENTIONS]
        if unknown:
            raise ConfigurationError(
                f"env {ENV_FOREIGN_SPANS}={raw!r}: unknown convention(s) {', '.join(unknown)}; "
                f"use a comma-separated subset of {', '.join(CONVENTIONS)}, 'all' or 'none'"
            )
        return cls(names)

    def __bool__(self) -> bool:
        return bool(self._adapters)

    def map(self, attributes: Mapping[str, Any], span_name: str) -> Mapped | None:
        for adapter in self._adapters:
            mapped = adapter(attributes, span_name)
            if mapped is not None:
                return mapped
        return None
