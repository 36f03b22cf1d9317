"""Auto-instrumentation: trace agents, tools and workflows chosen by patterns.

    OTEL_AGENTS_AUTO_INSTRUMENT=true \\
    OTEL_AGENTS_TARGETS="myapp.agents:*Agent.execute, tool:myapp.tools:search_*" \\
    python -m myapp

See ``docs/auto-instrumentation.md`` for the pattern syntax and the start-up paths.

Modules, one job each: ``targets`` (the pattern syntax), ``presets`` (framework presets,
as data), ``naming`` (``;name=`` rules), ``doctor`` (what would be wrapped, with no side
effect), ``instrumentor`` (the ``BaseInstrumentor``: wrap, honour ``tracer_provider``),
``_bootstrap`` (set up the SDK and ``configure()`` when nobody has), ``_startup`` (the
``.pth`` start-up hook), ``_flags`` (the on/off flag and start-up failure), ``_hooks``
(post-import hooks), ``_installed`` (installed distributions, from folder names),
``_patcher`` (wrapping and restoring what the patterns match), ``_traced`` (the wrappers:
named per call, one span per action), ``_streaming`` (spans that follow streamed
results), ``_attributes`` (``@attr`` targets), ``_lifecycle`` (the names this package
uses from ``instrument.lifecycle``, the one call lifecycle).
"""

from otel_agents.auto.instrumentor import AgentInstrumentor
from otel_agents.auto.targets import Target, parse_target, parse_targets

__all__ = ["AgentInstrumentor", "Target", "parse_target", "parse_targets"]
