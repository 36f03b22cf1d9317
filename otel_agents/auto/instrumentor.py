"""``AgentInstrumentor``: the OpenTelemetry instrumentor behind auto-instrumentation.

``opentelemetry-instrument`` loads it by its entry point (``otel_agents``); code may call
it directly; the start-up hook under plain ``python`` drives the same engine
(``_engine.ENGINE``) without it, to skip importing ``opentelemetry.instrumentation``.
It wraps what the target patterns match, in modules imported before or after, and
sends their spans to the ``tracer_provider`` passed in (else the global one). Setting up
the SDK is not its job: with ``configure=True`` (the default) the engine asks
``_bootstrap`` to do that first.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from otel_agents.auto._engine import ENGINE

_logger = logging.getLogger("otel_agents")


class AgentInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Wrap agents, tools and workflows chosen by patterns, without editing their code.

        AgentInstrumentor().instrument(targets=["myapp.agents:*Agent.execute",
                                                "tool:myapp.tools:search_*"])
        AgentInstrumentor().uninstrument()          # every original restored

    Without ``targets=`` the patterns come from ``OTEL_AGENTS_TARGETS``. ``configure=False``
    leaves the SDK and ``otel_agents.configure()`` to the caller; ``tracer_provider=``
    chooses where the spans go.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        """Nothing to check: the targets are the user's own code."""
        return ()

    @property
    def wrapped_count(self) -> int:
        """How many functions and methods are wrapped right now."""
        return ENGINE.wrapped_count

    def _instrument(self, **kwargs: Any) -> None:
        if ENGINE.active:
            # The start-up hook (OTEL_AGENTS_AUTO_INSTRUMENT) got there first; uninstrument()
            # still undoes it.
            _logger.warning("otel-agents: already instrumented at start-up; instrument() ignored")
            return
        ENGINE.start(**kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        ENGINE.stop()
