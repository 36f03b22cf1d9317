"""One call lifecycle: hooks, bypass and outcomes hold for every kind of callable."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

import otel_agents as oa


def _make(kind: str) -> Any:
    if kind == "function":

        @oa.agent(name=kind)
        def fn(x: int) -> int:
            return x + 1

    elif kind == "coroutine":

        @oa.agent(name=kind)
        async def fn(x: int) -> int:
            return x + 1

    elif kind == "generator":

        @oa.agent(name=kind)
        def fn(x: int) -> Any:
            yield x
            return x + 1

    else:

        @oa.agent(name=kind)
        async def fn(x: int) -> Any:
            yield x

    return fn


async def _call(kind: str, fn: Any) -> Any:
    if kind == "function":
        return fn(1)
    if kind == "coroutine":
        return await fn(1)
    if kind == "generator":
        return list(fn(1))
    return [item async for item in fn(1)]


KINDS = ("function", "coroutine", "generator", "async generator")


@pytest.mark.parametrize("kind", KINDS)
async def test_pre_and_post_hooks_fire_for_every_kind_of_callable(traced, kind):
    seen: list[tuple[str, str, str | None]] = []
    oa.add_pre_hook(lambda call: seen.append(("pre", call.name, call.status)))
    oa.add_post_hook(lambda call: seen.append(("post", call.name, call.status)))

    await _call(kind, _make(kind))

    assert seen == [("pre", kind, None), ("post", kind, "SUCCESS")]


@pytest.mark.parametrize("kind", ("generator", "async generator"))
async def test_post_hooks_see_the_failure_of_a_generator(traced, kind):
    seen: list[tuple[str | None, str]] = []
    oa.add_post_hook(lambda call: seen.append((call.status, type(call.error).__name__)))

    if kind == "generator":

        @oa.agent
        def broken() -> Any:
            yield 1
            raise ValueError("x")

        with pytest.raises(ValueError):
            list(broken())
    else:

        @oa.agent
        async def broken() -> Any:
            yield 1
            raise ValueError("x")

        with pytest.raises(ValueError):
            [item async for item in broken()]

    assert seen == [("FAILURE", "ValueError")]


def test_generators_bypass_telemetry_without_an_sdk() -> None:
    # A fresh interpreter: no tracer provider was ever set, so no span may be started.
    code = textwrap.dedent(
        """
        import asyncio
        import otel_agents as oa
        from otel_agents.instrument import lifecycle

        started = []
        original = lifecycle.start_action
        lifecycle.start_action = lambda spec: started.append(spec.name) or original(spec)

        @oa.agent
        def gen():
            yield 1

        @oa.agent
        async def agen():
            yield 2

        async def main():
            return [x async for x in agen()]

        assert list(gen()) == [1]
        assert asyncio.run(main()) == [2]
        print(started)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
