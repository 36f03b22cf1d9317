"""Names from the instance, spans that follow streamed results, one span per action."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import itertools
import logging
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from otel_agents.auto import AgentInstrumentor, parse_target, parse_targets
from otel_agents.errors import ConfigurationError
from tests.plugins.core import Traced

APP = """
import contextlib, dataclasses, time
from typing import Any, Callable


class Base:
    def __init__(self, name):
        self.name = name

    def run(self, task):
        return self.think(task)

    def think(self, task):
        return self.run_again(task) if task == "again" else str(task)

    def run_again(self, task):
        return self.run("done")

    def stream(self, n):
        return self._items(n)  # a plain method returning a generator

    def _items(self, n):
        for i in range(n):
            time.sleep(0.01)
            yield i

    def astream(self, n):
        return self._aitems(n)

    async def _aitems(self, n):
        for i in range(n):
            yield i

    def later(self):
        return self._coro()

    async def _coro(self):
        import asyncio
        await asyncio.sleep(0.02)
        return "late"

    @contextlib.contextmanager
    def session(self):
        yield self

    def get_name(self):
        return self.name


class Child(Base):
    pass


def call_tool(name, args):
    return len(args)


@dataclasses.dataclass
class FunctionTool:
    name: str
    on_invoke: Callable[..., Any]
"""
_counter = itertools.count()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ModuleType]:
    name = f"naming_app_{next(_counter)}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(APP))
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name)
    finally:
        AgentInstrumentor().uninstrument()
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def _instrument(*targets: str) -> None:
    AgentInstrumentor().instrument(targets=list(targets), configure=False)


def test_pattern_syntax_reads_name_rules_and_attributes() -> None:
    target = parse_target("tool:m:FunctionTool.on_invoke@attr;name=self.name|arg0.name")
    assert target.attribute and target.qualname == ("FunctionTool", "on_invoke")
    assert target.name_rule is not None
    assert target.name_rule.paths == (("self", ("name",)), ("arg0", ("name",)))
    with pytest.raises(ConfigurationError, match="unknown option"):
        parse_target("m:A.run;label=x")
    with pytest.raises(ConfigurationError, match="bad name rule"):
        parse_target("m:A.run;name=self..name")
    with pytest.raises(ConfigurationError, match="unknown preset 'nope'"):
        parse_targets("preset:nope")
    expanded = parse_targets("preset:smolagents, m:f")
    assert {t.preset for t in expanded} == {"smolagents", None}


def test_spans_are_named_from_the_instance_or_fall_back_to_the_class(
    traced: Traced, app: ModuleType
) -> None:
    _instrument(f"{app.__name__}:Base.run+;name=self.name")
    app.Base("planner").run("x")
    app.Child(None).run("x")
    assert sorted(s.name for s in traced.spans()) == ["invoke_agent Child", "invoke_agent planner"]


def test_a_tool_name_passed_as_argument_names_the_span(traced: Traced, app: ModuleType) -> None:
    _instrument(f"tool:{app.__name__}:call_tool;name=name")
    app.call_tool("get_weather", {"city": "Paris"})
    assert [s.name for s in traced.spans()] == ["execute_tool get_weather"]


def test_reentrant_calls_of_one_action_make_one_span(traced: Traced, app: ModuleType) -> None:
    _instrument(f"{app.__name__}:Base.run;name=self.name")
    app.Base("a").run("again")  # run -> think -> run_again -> run: one logical action
    assert [s.name for s in traced.spans()] == ["invoke_agent a"]


def test_a_returned_generator_keeps_the_span_open_until_exhausted(
    traced: Traced, app: ModuleType
) -> None:
    _instrument(f"{app.__name__}:Base.stream;name=self.name")
    items = app.Base("s").stream(3)
    time.sleep(0.02)
    assert traced.spans() == []
    assert list(items) == [0, 1, 2]
    (span,) = traced.spans()
    assert span.end_time is not None and span.start_time is not None
    assert (span.end_time - span.start_time) / 1e6 >= 50


def test_async_iterators_coroutines_and_context_managers_end_when_done(
    traced: Traced, app: ModuleType
) -> None:
    name = app.__name__
    _instrument(f"{name}:Base.astream", f"{name}:Base.later", f"{name}:Base.session")
    agent = app.Base("x")

    async def main() -> None:
        assert [i async for i in agent.astream(2)] == [0, 1]
        assert await agent.later() == "late"

    asyncio.run(main())
    with agent.session() as inside:
        assert inside is agent
        assert len(traced.spans()) == 2  # the session's span is still open
    _, later, _ = traced.spans()
    assert later.end_time is not None and later.start_time is not None
    assert (later.end_time - later.start_time) / 1e6 >= 15  # the awaited sleep is inside


def test_globs_skip_accessors_and_dunders_unless_named(traced: Traced, app: ModuleType) -> None:
    _instrument(f"{app.__name__}:Base.*")
    agent = app.Base("g")
    agent.get_name()
    assert traced.spans() == []
    AgentInstrumentor().uninstrument()
    _instrument(f"{app.__name__}:Base.get_name")
    agent.get_name()
    assert len(traced.spans()) == 1


def test_a_callable_attribute_is_traced_per_instance(traced: Traced, app: ModuleType) -> None:
    _instrument(f"tool:{app.__name__}:FunctionTool.on_invoke@attr;name=self.name")
    tool = app.FunctionTool("lookup", lambda q: q.upper())
    assert tool.on_invoke("a") == "A"
    copy = dataclasses.replace(tool, name="other")
    copy.on_invoke("b")
    assert [s.name for s in traced.spans()] == ["execute_tool lookup", "execute_tool other"]
    AgentInstrumentor().uninstrument()
    tool.on_invoke("c")
    assert len(traced.spans()) == 2


def test_an_inherited_method_warning_names_the_defining_class(
    app: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_agents"):
        _instrument(f"{app.__name__}:Child.run", f"{app.__name__}:Child.run+")
    text = caplog.text
    assert f"inherits run from {app.__name__}.Base.run" in text
    assert f"use '{app.__name__}:Base.run+'" in text
    assert text.count("matched nothing") == 2
