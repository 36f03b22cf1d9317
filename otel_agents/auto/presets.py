"""Framework presets: the targets that trace a framework's agents and tools by name.

A preset is data: the distribution whose presence means "this framework is here", the
versions it was tested with, and its target patterns (the same syntax users write,
``;name=`` rules included). ``OTEL_AGENTS_TARGETS=preset:openai-agents`` applies one;
with ``OTEL_AGENTS_AUTO_INSTRUMENT=true`` and no targets, every preset whose framework
is installed applies (``preset:auto`` says the same explicitly). Patches still wait for
the application's own imports: a preset imports nothing. The table in
``docs/auto-instrumentation.md`` lists them; ``otel-agents doctor`` shows what they match.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from otel_agents._record import FrozenRecord
from otel_agents.auto._installed import installed_versions, normalize, release


class Preset(FrozenRecord):
    """One framework's targets, and the versions they were tested with.

    PRESETS["pydantic-ai"].targets[0]   # 'pydantic_ai.agent.abstract:AbstractAgent.run+;name=...'
    """

    __slots__ = ("name", "distribution", "tested_from", "tested_below", "targets")  # noqa: RUF023 (repr follows field order)
    name: str
    distribution: str
    #: Tested from this version (inclusive) ...
    tested_from: str
    #: ... up to, not including, this one.
    tested_below: str
    targets: tuple[str, ...]

    def __init__(
        self,
        name: str,
        distribution: str,
        tested_from: str,
        tested_below: str,
        targets: tuple[str, ...],
    ) -> None:
        self._set(
            name=name,
            distribution=distribution,
            tested_from=tested_from,
            tested_below=tested_below,
            targets=targets,
        )

    def supports(self, version: str) -> bool:
        """Whether ``version`` lies in the tested range."""
        return release(self.tested_from) <= release(version) < release(self.tested_below)


def _preset(name: str, distribution: str, tested: tuple[str, str], *targets: str) -> Preset:
    return Preset(name, normalize(distribution), tested[0], tested[1], targets)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _preset(
            "openai-agents",
            "openai-agents",
            ("0.24.0", "0.25"),
            # Runner.run/run_sync delegate to AgentRunner: one span, named after the agent.
            "agents.run:AgentRunner.run;name=starting_agent.name",
            "agents.run:AgentRunner.run_sync;name=starting_agent.name",
            "tool:agents.tool:FunctionTool.on_invoke_tool@attr;name=self.name",
        ),
        _preset(
            "pydantic-ai",
            "pydantic-ai-slim",
            ("2.68.0", "2.69"),
            "pydantic_ai.agent.abstract:AbstractAgent.run+;name=self.name",
            "pydantic_ai.agent.abstract:AbstractAgent.run_sync+;name=self.name",
            "pydantic_ai.agent.abstract:AbstractAgent.run_stream+;name=self.name",
            "pydantic_ai.agent.abstract:AbstractAgent.iter+;name=self.name",
            # The innermost of the toolset chain: one span per tool call.
            "tool:pydantic_ai.toolsets.function:FunctionToolset.call_tool;name=name",
        ),
        _preset(
            "langgraph",
            "langgraph",
            ("1.2.0", "1.3"),
            "langgraph.pregel.main:Pregel.invoke+;name=self.name",
            "langgraph.pregel.main:Pregel.ainvoke+;name=self.name",
            "langgraph.pregel.main:Pregel.stream+;name=self.name",
            "langgraph.pregel.main:Pregel.astream+;name=self.name",
            "tool:langchain_core.tools.base:BaseTool.run;name=self.name",
            "tool:langchain_core.tools.base:BaseTool.arun;name=self.name",
        ),
        _preset(
            "smolagents",
            "smolagents",
            ("1.26.0", "1.27"),
            "smolagents.agents:MultiStepAgent.run+;name=self.name",
            "tool:smolagents.tools:Tool.__call__+;name=self.name",
        ),
        _preset(
            "llama-index",
            "llama-index-core",
            ("0.14.25", "0.15"),
            # An agent's run() hands back a handler at once; its steps (LLM turns, tool
            # calls) run in tasks of the workflow's control loop (llama-index-workflows
            # 2.26), whose run() spans the whole agent run. Named after the agent.
            "workflows.runtime.control_loop.runner:_ControlLoopRunner.run;"
            "name=self.workflow.name|self.workflow.__class__.__name__",
            "tool:llama_index.core.tools.function_tool:FunctionTool.call;name=self.metadata.name",
            "tool:llama_index.core.tools.function_tool:FunctionTool.acall;name=self.metadata.name",
        ),
        _preset(
            "ag2",
            "ag2",
            ("1.2.1", "1.3"),
            # ask(), run() and reply continuations all enter this one async context
            # manager; its span covers the turn driven inside it, tool calls included.
            "ag2.agent:Agent._turn_scope;name=self.name",
            "tool:ag2.tools.final.function_tool:FunctionTool.__call__;name=self.name",
        ),
        _preset(
            "crewai",
            "crewai",
            ("1.15.0", "1.16"),
            "workflow:crewai.crew:Crew.kickoff;name=self.name",
            "workflow:crewai.crew:Crew.kickoff_async;name=self.name",
            "crewai.agent.core:Agent.execute_task;name=self.role|self.name",
            "crewai.agent.core:Agent.aexecute_task;name=self.role|self.name",
            "crewai.agent.core:Agent.kickoff;name=self.role|self.name",
            "crewai.agent.core:Agent.kickoff_async;name=self.role|self.name",
            "tool:crewai.tools.structured_tool:CrewStructuredTool.invoke;name=self.name",
            "tool:crewai.tools.structured_tool:CrewStructuredTool.ainvoke;name=self.name",
        ),
    )
}

_logger = logging.getLogger("otel_agents")

#: ``preset:auto``: every preset whose framework is installed.
AUTO = "auto"


def installed_presets(versions: dict[str, str] | None = None) -> list[tuple[Preset, str]]:
    """``(preset, installed version)`` for every framework found, cheaply (no imports)."""
    versions = installed_versions() if versions is None else versions
    return [(p, versions[p.distribution]) for p in PRESETS.values() if p.distribution in versions]


class _FromPreset(Protocol):
    @property
    def preset(self) -> str | None: ...


def check_versions(targets: Iterable[_FromPreset], versions: dict[str, str] | None = None) -> None:
    """Warn once per preset whose framework is missing or outside the tested versions.

    Never raises: an untested version is traced as well as the patterns still match.
    """
    names = dict.fromkeys(t.preset for t in targets if t.preset is not None)
    if not names:
        return
    versions = installed_versions() if versions is None else versions
    for name in names:
        preset = PRESETS[name]
        version = versions.get(preset.distribution)
        if version is None:
            _logger.warning(
                "otel-agents: preset %r: %s is not installed; nothing to trace",
                name,
                preset.distribution,
            )
        elif not preset.supports(version):
            _logger.warning(
                "otel-agents: preset %r was tested with %s >=%s,<%s; %s is installed. "
                "Tracing what still matches; run `otel-agents doctor` to see what that is.",
                name,
                preset.distribution,
                preset.tested_from,
                preset.tested_below,
                version,
            )
