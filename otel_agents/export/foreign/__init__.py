"""Spans made by other instrumentations, read as agent, tool, workflow or LLM spans.

One adapter per convention (OpenTelemetry GenAI, OpenInference, OpenLLMetry/traceloop),
one registry. Adapters only read a finished span's attributes; they run on the outcome
processor's thread, never on the agent's. ``OTEL_AGENTS_FOREIGN_SPANS`` picks the
conventions (``genai,openinference,traceloop`` by default, ``none`` for none).

    adapters = ForeignSpans.from_setting("genai,openinference")
    mapped = adapters.map(span.attributes)      # Mapped(role="agent", name="planner") or None
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otel_agents.errors import ConfigurationError
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
#: Each convention's adapter module, in the order they are tried: traceloop spans also
#: carry gen_ai.* names. An adapter loads with the first span mapped, on the outcome
#: processor's thread, not when ``configure()`` runs at start-up.
CONVENTIONS: dict[str, str] = {
    "traceloop": "otel_agents.export.foreign.traceloop",
    "openinference": "otel_agents.export.foreign.openinference",
    "genai": "otel_agents.export.foreign.genai",
}


class ForeignSpans:
    """The enabled adapters; ``map`` returns the first one's reading of a span."""

    def __init__(self, enabled: Iterable[str]) -> None:
        wanted = set(enabled)
        self.enabled = tuple(name for name in CONVENTIONS if name in wanted)
        self._adapters: tuple[_Adapter, ...] | None = None if self.enabled else ()

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
        return bool(self.enabled)

    def map(self, attributes: Mapping[str, Any], span_name: str) -> Mapped | None:
        adapters = self._adapters
        if adapters is None:  # two threads may both load them: the same functions
            adapters = self._adapters = tuple(_load_adapter(name) for name in self.enabled)
        for adapter in adapters:
            mapped = adapter(attributes, span_name)
            if mapped is not None:
                return mapped
        return None


def _load_adapter(name: str) -> _Adapter:
    adapter: _Adapter = importlib.import_module(CONVENTIONS[name]).map_span
    return adapter
