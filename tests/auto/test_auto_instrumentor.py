"""AgentInstrumentor in-process: restore exactly, never twice, import order, overrides."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from otel_agents.auto import AgentInstrumentor
from otel_agents.instrument.spec import SPEC_ATTRIBUTE

APP = """
class Base:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.seen_by_base = True

    def run(self, task):
        return ["base", task]

    @classmethod
    def build(cls):
        return cls.__name__

    @staticmethod
    def helper():
        return "h"


class Child(Base):
    def run(self, task):
        return ["child", *super().run(task)]

    async def arun(self, task):
        return task

    def stream(self, n):
        total = yield from range(n)
        return total


class PlainBase:
    def run(self):
        return "plain"


def search_web(q):
    return [q]
"""
_counter = itertools.count()
Loader = Callable[[], ModuleType]


@pytest.fixture
def app_module(tmp_path: Path) -> Iterator[tuple[str, Loader]]:
    """A fresh module (unique name) that knows nothing of otel-agents, and its importer."""
    name = f"auto_app_{next(_counter)}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(APP))
    sys.path.insert(0, str(tmp_path))
    try:
        yield name, lambda: importlib.import_module(name)
    finally:
        AgentInstrumentor().uninstrument()
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def _instrument(*targets: str) -> AgentInstrumentor:
    instrumentor = AgentInstrumentor()
    instrumentor.instrument(targets=list(targets), configure=False)
    return instrumentor


def _traced(obj: object) -> bool:
    return getattr(obj, SPEC_ATTRIBUTE, None) is not None


def test_entry_point_is_registered_for_opentelemetry_instrument() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="opentelemetry_instrumentor")}
    assert found["otel_agents"] == "otel_agents.auto.instrumentor:AgentInstrumentor"


@pytest.mark.parametrize("imported_first", [True, False])
def test_modules_are_patched_whether_imported_before_or_after(
    app_module: tuple[str, Loader], imported_first: bool
) -> None:
    name, load = app_module
    if imported_first:
        load()
    _instrument(f"tool:{name}:search_*", f"{name}:Child.run")
    module = load()
    assert _traced(module.search_web) and _traced(vars(module.Child)["run"])
    assert module.Child().run("t") == ["child", "base", "t"]


def test_uninstrument_restores_the_very_same_objects(app_module: tuple[str, Loader]) -> None:
    name, load = app_module
    module = load()
    before_module = dict(vars(module))
    before = {cls: dict(vars(cls)) for cls in (module.Base, module.Child, module.PlainBase)}
    instrumentor = _instrument(
        f"tool:{name}:search_*",
        f"{name}:Base.[rbhs]*+",
        f"{name}:Base.arun+",
        f"{name}:PlainBase.run+",
    )
    # The glob skips the accessors (bodies that call nothing); explicit names wrap them.
    assert instrumentor.wrapped_count == 5
    assert vars(module.PlainBase)["__init_subclass__"] is not None
    instrumentor.uninstrument()
    assert dict(vars(module)) == before_module
    for cls, members in before.items():
        assert dict(vars(cls)) == members, cls
    assert "__init_subclass__" not in vars(module.PlainBase)

    class LaterChild(module.Base):  # type: ignore[name-defined,misc]
        def run(self, task: str) -> list[str]:
            return [task]

    assert not _traced(vars(LaterChild)["run"])
    assert LaterChild.seen_by_base is True


def test_instrumenting_twice_is_a_no_op(app_module: tuple[str, Loader]) -> None:
    name, load = app_module
    _instrument(f"tool:{name}:search_*")
    first = load().search_web
    _instrument(f"tool:{name}:search_*", f"{name}:Child.run")  # ignored: already on
    assert load().search_web is first
    assert not _traced(vars(load().Child)["run"])


def test_overrides_defined_later_are_wrapped_and_base_hook_still_runs(
    app_module: tuple[str, Loader],
) -> None:
    name, load = app_module
    module = load()
    _instrument(f"{name}:Base.run+")

    class Late(module.Child):  # type: ignore[name-defined,misc]
        def run(self, task: str) -> list[str]:
            return ["late", *super().run(task)]

    class Inheriting(module.Base):  # type: ignore[name-defined,misc]
        pass

    assert _traced(vars(module.Base)["run"]) and _traced(vars(module.Child)["run"])
    assert _traced(vars(Late)["run"]) and "run" not in vars(Inheriting)
    assert Late.seen_by_base is True  # the class's own __init_subclass__ still ran
    assert Late().run("t") == ["late", "child", "base", "t"]


def test_method_kinds_keep_their_behaviour(app_module: tuple[str, Loader]) -> None:
    name, load = app_module
    _instrument(f"{name}:Child.*", f"{name}:Base.build", f"{name}:Base.helper")
    module = load()
    assert module.Child.build() == "Child"
    assert module.Base.helper() == "h"
    assert asyncio.run(module.Child().arun("a")) == "a"
    assert list(module.Child().stream(3)) == [0, 1, 2]
    assert isinstance(vars(module.Base)["build"], classmethod)
    assert isinstance(vars(module.Base)["helper"], staticmethod)


def test_super_call_inside_override_gives_one_span(
    app_module: tuple[str, Loader], traced: Any
) -> None:
    name, load = app_module
    _instrument(f"{name}:Base.run+")
    module = load()
    assert module.Child().run("t") == ["child", "base", "t"]
    assert module.Base().run("u") == ["base", "u"]
    names = sorted(span.name for span in traced.spans())
    assert names == ["invoke_agent Base", "invoke_agent Child"]


def test_subclass_inheriting_the_method_is_named_after_itself(
    app_module: tuple[str, Loader], traced: Any
) -> None:
    name, load = app_module
    _instrument(f"{name}:Base.run+")
    module = load()

    class Inheriting(module.Base):  # type: ignore[name-defined,misc]
        pass

    Inheriting().run("a")
    Inheriting().run("b")
    assert [span.name for span in traced.spans()] == ["invoke_agent Inheriting"] * 2


@pytest.mark.parametrize(
    ("exporters", "expected"),
    [("otlp, kafka_outcomes", {"kafka_bootstrap_servers": ""}), ("otlp", {})],
)
def test_kafka_exporter_named_in_env_gets_no_second_producer(
    monkeypatch: pytest.MonkeyPatch, exporters: str, expected: dict[str, str]
) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from otel_agents.auto import _bootstrap

    calls: list[dict[str, str]] = []
    monkeypatch.setattr(_bootstrap, "configure", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(trace, "get_tracer_provider", TracerProvider)  # an SDK is set up
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", exporters)
    _bootstrap.configure_telemetry()
    assert calls == [expected]


def test_spans_go_to_the_tracer_provider_passed_to_instrument(
    app_module: tuple[str, Loader],
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    name, load = app_module
    AgentInstrumentor().instrument(
        targets=[f"tool:{name}:search_*"], tracer_provider=provider, configure=False
    )
    try:
        assert load().search_web("q") == ["q"]
    finally:
        AgentInstrumentor().uninstrument()
    assert [span.name for span in exporter.get_finished_spans()] == ["execute_tool search_web"]
