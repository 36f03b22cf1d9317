"""Auto-instrumentation: trace agents, tools and workflows chosen by patterns.

    OTEL_AGENTS_AUTO_INSTRUMENT=true \\
    OTEL_AGENTS_TARGETS="myapp.agents:*Agent.execute, tool:myapp.tools:search_*" \\
    python -m myapp

See ``docs/auto-instrumentation.md`` for the pattern syntax and the start-up paths.

Modules, one job each: ``targets`` (the pattern syntax), ``presets`` (framework presets,
as data), ``naming`` (``;name=`` rules), ``doctor`` (what would be wrapped, with no side
effect), ``_engine`` (wrap, honour ``tracer_provider``), ``instrumentor`` (the
``BaseInstrumentor`` around the engine, loaded on first use: it is slow to import),
``_bootstrap`` (set up the SDK and ``configure()`` when nobody has), ``_startup`` (the
``.pth`` start-up hook), ``_flags`` (the on/off flag and start-up failure), ``_hooks``
(post-import hooks), ``_installed`` (installed distributions, from folder names),
``_patcher`` (wrapping and restoring what the patterns match), ``_traced`` (the wrappers:
named per call, one span per action), ``_streaming`` (spans that follow streamed
results), ``_attributes`` (``@attr`` targets), ``_lifecycle`` (the names this package
uses from ``instrument.lifecycle``, the one call lifecycle).
"""

from typing import TYPE_CHECKING, Any

from otel_agents.auto.targets import Target, parse_target, parse_targets

if TYPE_CHECKING:
    from otel_agents.auto.instrumentor import AgentInstrumentor

__all__ = ["AgentInstrumentor", "Target", "parse_target", "parse_targets"]


def __getattr__(name: str) -> Any:
    # The start-up hook imports this package; opentelemetry.instrumentation (the base
    # class) costs ~90 ms and is only needed when someone asks for AgentInstrumentor.
    if name == "AgentInstrumentor":
        from otel_agents.auto.instrumentor import AgentInstrumentor

        return AgentInstrumentor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
