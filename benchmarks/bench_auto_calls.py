"""Per-call cost of auto-instrumented methods next to the hand-written decorator.

    python benchmarks/bench_auto_calls.py

Patterns install auto-instrumentation's own wrapper, which picks the span name per call
(``;name=`` rules), skips re-entrant calls of the same action and hands spans over to
returned generators; it should stay close to ``@oa.agent``. Spans are recorded by a real
SDK provider with no processor, so the figures are the wrappers' own cost, not the exporters'.
"""

from __future__ import annotations

import sys
import textwrap
import timeit
import types
from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents.auto import AgentInstrumentor

APP = """
class Plain:
    def run(self, x):
        return x

class Matched:
    def run(self, x):
        return x

class Base:
    def run(self, x):
        return x

class Override(Base):
    def run(self, x):
        return super().run(x)

class Named:
    name = "planner"

    def run(self, x):
        return x

class Streams:
    def run(self, x):
        return iter_items(x)

def iter_items(x):
    yield x
"""


class Decorated:
    @oa.agent(name="Decorated")
    def run(self, x: int) -> int:
        return x


def _per_call_ns(
    cases: dict[str, Callable[[int], object]], number: int, rounds: int
) -> dict[str, float]:
    best = {name: float("inf") for name in cases}
    for _ in range(rounds):  # interleaved, best of all rounds: machine noise hits all alike
        for name, fn in cases.items():
            seconds = timeit.timeit(lambda fn=fn: fn(1), number=number)
            best[name] = min(best[name], seconds / number * 1e9)
    return best


def main() -> None:
    number, rounds = 5_000, 25
    module = types.ModuleType("bench_app")
    exec(compile(textwrap.dedent(APP), "bench_app", "exec"), module.__dict__)
    sys.modules["bench_app"] = module
    trace.set_tracer_provider(TracerProvider())
    AgentInstrumentor().instrument(
        targets=[
            "bench_app:Matched.run",
            "bench_app:Base.run+",
            "bench_app:Named.run;name=self.name",
            "bench_app:Streams.run",
        ],
        configure=False,
    )
    streams = module.Streams()
    cases = {
        "undecorated": module.Plain().run,
        "@oa.agent (decorator)": Decorated().run,
        "pattern Class.method": module.Matched().run,
        "pattern Base.run+ (base)": module.Base().run,
        "pattern Base.run+ (override calling super)": module.Override().run,
        "pattern Class.method;name=self.name": module.Named().run,
        "pattern returning a generator (consumed)": lambda x: list(streams.run(x)),
    }
    print(
        f"python {sys.version.split()[0]}; best of {rounds} rounds of {number} calls, ns per call"
    )
    results = _per_call_ns(cases, number, rounds)
    decorator = results["@oa.agent (decorator)"]
    for name, ns in results.items():
        print(f"  {name:44s} {ns:9.0f}   {ns / decorator:5.2f}x decorator")
    AgentInstrumentor().uninstrument()


if __name__ == "__main__":
    main()
