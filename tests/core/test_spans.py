"""Spans made by @agent, @tool and workflow: names, attributes, nesting, callable kinds."""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind

import otel_agents as oa
from otel_agents import semconv


def test_agent_function_becomes_invoke_agent_span_with_gen_ai_attributes(traced):
    @oa.agent(name="react", action_type="reasoning", tags=["priority-high"], model="gpt-x")
    def react(query: str) -> str:
        return query.upper()

    assert react("hi") == "HI"
    span = traced.span("invoke_agent react")
    assert span.kind is SpanKind.INTERNAL
    attrs = span.attributes
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert attrs[semconv.GEN_AI_AGENT_NAME] == "react"
    assert attrs[semconv.ACTION_TYPE] == "reasoning"
    assert attrs[semconv.TAGS] == ("priority-high",)
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == "gpt-x"
    assert attrs[semconv.OUTCOME_STATUS] == "SUCCESS"
    assert attrs[semconv.OUTCOME_SEVERITY] == "INFO"


def test_identifying_attributes_are_set_when_the_span_starts(traced):
    seen = {}

    @oa.add_pre_hook
    def capture(call):
        seen.update(call.span.attributes)

    @oa.tool
    def lookup(q):
        return q

    lookup("x")
    assert seen[semconv.GEN_AI_TOOL_NAME] == "lookup"
    assert seen[semconv.GEN_AI_OPERATION_NAME] == "execute_tool"
    assert semconv.OUTCOME_STATUS not in seen


def test_tool_span_has_tool_type_and_description_from_docstring(traced):
    @oa.tool
    def web_search(q: str) -> list[str]:
        """Search the web for q.

        More details here.
        """
        return [q]

    web_search("otel")
    attrs = traced.span("execute_tool web_search").attributes
    assert attrs[semconv.GEN_AI_TOOL_TYPE] == "function"
    assert attrs[semconv.GEN_AI_TOOL_DESCRIPTION] == "Search the web for q."


def test_class_decorator_wraps_execute_and_is_named_after_the_class(traced):
    @oa.agent
    class Planner:
        def execute(self, input_data, context):
            return {"plan": input_data["query"]}

    assert Planner().execute({"query": "q"}, {}) == {"plan": "q"}
    assert traced.span("invoke_agent Planner").attributes[semconv.GEN_AI_AGENT_NAME] == "Planner"


def test_class_decorator_methods_option_wraps_each_named_method(traced):
    @oa.agent(methods=("execute", "run"))
    class Worker:
        def execute(self):
            return 1

        async def run(self):
            return 2

    Worker().execute()
    assert asyncio.run(Worker().run()) == 2
    assert len([s for s in traced.spans() if s.name == "invoke_agent Worker"]) == 2


def test_class_without_the_methods_is_a_configuration_error():
    with pytest.raises(oa.ConfigurationError, match="none of the methods"):

        @oa.agent
        class Empty:
            pass


def test_classmethod_and_staticmethod_are_supported_in_either_order(traced):
    class Agents:
        @oa.agent
        @classmethod
        def outer(cls, x):
            return (cls.__name__, x)

        @classmethod
        @oa.agent
        def inner(cls, x):
            return x

        @oa.tool
        @staticmethod
        def helper(x):
            return x * 2

    assert Agents.outer(1) == ("Agents", 1)
    assert Agents().inner(2) == 2
    assert Agents.helper(3) == 6
    names = sorted(s.name for s in traced.spans())
    assert names == ["execute_tool helper", "invoke_agent inner", "invoke_agent outer"]


def test_signature_docstring_and_coroutine_nature_are_preserved():
    @oa.agent
    async def react(query: str, *, depth: int = 2) -> dict:
        """Answer a query."""
        return {}

    @oa.tool
    def sync_tool(a: int) -> int:
        return a

    assert inspect.iscoroutinefunction(react)
    assert not inspect.iscoroutinefunction(sync_tool)
    assert inspect.signature(react) == inspect.signature(react.__wrapped__)
    assert list(inspect.signature(react).parameters) == ["query", "depth"]
    assert react.__doc__ == "Answer a query."
    assert react.__name__ == "react"


def test_decorating_twice_gives_one_span(traced):
    @oa.agent
    def once():
        return 1

    twice = oa.agent(once)
    assert twice is once
    twice()
    assert len(traced.spans()) == 1


def test_nesting_gives_parent_child_spans(traced):
    @oa.tool
    def search(q):
        return [q]

    @oa.agent
    def researcher(q):
        return search(q)

    with oa.workflow("report"):
        researcher("x")

    wf = traced.span("invoke_workflow report")
    agent = traced.span("invoke_agent researcher")
    tool = traced.span("execute_tool search")
    assert agent.parent.span_id == wf.context.span_id
    assert tool.parent.span_id == agent.context.span_id
    assert {s.context.trace_id for s in (wf, agent, tool)} == {wf.context.trace_id}


async def test_async_agent_and_gather_and_create_task_keep_the_parent(traced):
    @oa.tool
    async def fetch(i):
        await asyncio.sleep(0)
        return i

    @oa.agent
    async def fan_out():
        results = await asyncio.gather(fetch(1), fetch(2))
        task = asyncio.create_task(fetch(3))
        return [*results, await task]

    assert await fan_out() == [1, 2, 3]
    parent = traced.span("invoke_agent fan_out")
    tools = [s for s in traced.spans() if s.name == "execute_tool fetch"]
    assert len(tools) == 3
    assert all(t.parent.span_id == parent.context.span_id for t in tools)


def test_thread_pool_executor_keeps_the_parent(traced):
    @oa.tool
    def work(i):
        return i

    @oa.agent
    def dispatcher():
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(work, range(4)))

    assert dispatcher() == [0, 1, 2, 3]
    parent = traced.span("invoke_agent dispatcher")
    tools = [s for s in traced.spans() if s.name == "execute_tool work"]
    assert len(tools) == 4
    assert all(t.parent.span_id == parent.context.span_id for t in tools)


def test_generator_span_covers_iteration_and_context_is_restored_between_yields(traced):
    inside = []

    @oa.agent
    def stream(n):
        for i in range(n):
            inside.append(trace.get_current_span().name)
            yield i
        return "done"

    outer_span = trace.get_current_span()
    gen = stream(3)
    seen_between = []
    for item in gen:
        seen_between.append(trace.get_current_span())
        assert item < 3
    assert inside == ["invoke_agent stream"] * 3
    assert all(span is outer_span for span in seen_between)
    span = traced.span("invoke_agent stream")
    assert span.attributes[semconv.OUTCOME_STATUS] == "SUCCESS"
    assert semconv.OUTCOME_LATENCY_MS in span.attributes


def test_generator_closed_early_ends_its_span_and_runs_the_body_cleanup(traced):
    cleaned = []

    @oa.agent
    def stream():
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(trace.get_current_span().name)

    for _item in stream():
        break
    assert cleaned == ["invoke_agent stream"]
    assert traced.span("invoke_agent stream").end_time is not None


def test_generator_send_and_throw_are_forwarded(traced):
    @oa.agent
    def echo():
        received = yield "ready"
        try:
            yield f"got {received}"
        except ValueError:
            yield "handled"

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send("x") == "got x"
    assert gen.throw(ValueError("boom")) == "handled"
    gen.close()
    assert traced.span("invoke_agent echo").attributes[semconv.OUTCOME_STATUS] == "SUCCESS"


def test_generator_failure_marks_the_span_failed(traced):
    @oa.agent
    def broken():
        yield 1
        raise RuntimeError("mid-stream")

    with pytest.raises(RuntimeError):
        list(broken())
    assert traced.span("invoke_agent broken").attributes[semconv.OUTCOME_STATUS] == "FAILURE"


async def test_async_generator_covers_iteration_and_restores_context(traced):
    inside = []

    @oa.agent
    async def astream(n):
        for i in range(n):
            await asyncio.sleep(0)
            inside.append(trace.get_current_span().name)
            yield i

    outer = trace.get_current_span()
    items = []
    async for item in astream(3):
        assert trace.get_current_span() is outer
        items.append(item)
    assert items == [0, 1, 2]
    assert inside == ["invoke_agent astream"] * 3
    assert inspect.isasyncgenfunction(astream)
    assert traced.span("invoke_agent astream").attributes[semconv.OUTCOME_STATUS] == "SUCCESS"


async def test_async_generator_closed_early_ends_its_span(traced):
    @oa.agent
    async def astream():
        yield 1
        yield 2

    gen = astream()
    async for _ in gen:
        break
    await gen.aclose()
    assert traced.span("invoke_agent astream").end_time is not None


def test_without_configure_decorators_use_the_noop_provider_and_stay_transparent():
    @oa.agent
    def plain(x):
        oa.record(input_tokens=5)
        oa.thought("ignored")
        return x + 1

    assert plain(1) == 2
    assert oa.recent_events() == []
