"""Auto-instrumentation: trace agents, tools and workflows chosen by patterns.

    OTEL_AGENTS_AUTO_INSTRUMENT=true \\
    OTEL_AGENTS_TARGETS="myapp.agents:*Agent.execute, tool:myapp.tools:search_*" \\
    python -m myapp

See ``docs/auto-instrumentation.md`` for the pattern syntax and the start-up paths.
"""

from otel_agents.auto.instrumentor import AgentInstrumentor
from otel_agents.auto.targets import Target, parse_target, parse_targets

__all__ = ["AgentInstrumentor", "Target", "parse_target", "parse_targets"]
