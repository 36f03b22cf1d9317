"""A small agent workload for monitor tests and demos: real decorated agents and tools.

    python -m tests.monitor.feeder --kafka 127.0.0.1:9092 --count 200
    python -m tests.monitor.feeder --log outcomes.jsonl --count 200

``planner`` improves over time (reward and quality rise), ``coder`` declines (more
failures), ``researcher`` stays steady; every agent thinks aloud and calls tools. With
``--slow`` one agent keeps running (PENDING events must be on: OTEL_AGENTS_EMIT_PENDING).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import threading
import time
from typing import Any

import otel_agents as oa


@oa.tool
def search(query: str) -> str:
    return f"results for {query}"


@oa.tool
def calculator(expression: str) -> int:
    if "/0" in expression:
        raise ZeroDivisionError("division by zero")
    return len(expression)


def _make_agent(name: str) -> Any:
    @oa.agent(name=name)
    def act(i: int, count: int, rng: random.Random) -> str:
        progress = i / max(1, count)
        oa.thought(f"{name} step {i}: deciding what to do next")
        search(f"{name}-{i}")
        if name == "planner":
            quality, reward, fail = (
                0.5 + 0.45 * progress,
                -0.5 + 1.5 * progress,
                0.2 - 0.18 * progress,
            )
        elif name == "coder":
            quality, reward, fail = (
                0.9 - 0.5 * progress,
                1.0 - 1.5 * progress,
                0.05 + 0.5 * progress,
            )
        else:
            quality, reward, fail = 0.8, 0.5, 0.1
        with contextlib.suppress(ZeroDivisionError):
            calculator("1/0" if rng.random() < fail / 2 else "1+1")
        oa.record(
            input_tokens=rng.randint(200, 900),
            output_tokens=rng.randint(50, 300),
            cost_usd=0.001 * rng.random(),
            quality_score=round(quality, 3),
            reward=round(reward, 3),
            model="demo-model",
        )
        if rng.random() < fail:
            raise (
                TimeoutError("upstream model timed out")
                if rng.random() < 0.3
                else ValueError("could not parse the plan")
            )
        return "ok"

    return act


_AGENTS = {name: _make_agent(name) for name in ("planner", "researcher", "coder")}


def _run_agent(name: str, i: int, count: int, rng: random.Random) -> None:
    with contextlib.suppress(TimeoutError, ValueError):
        _AGENTS[name](i, count, rng)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kafka")
    parser.add_argument("--topic")
    parser.add_argument("--log")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rate", type=float, default=200.0, help="agent runs per second")
    parser.add_argument("--slow", type=float, default=0.0, help="a 'deep-research' run of N s")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    oa.configure(
        service_name="monitor-feeder",
        kafka_bootstrap_servers=args.kafka,
        kafka_topic=args.topic,
        outcome_log=args.log,
    )
    rng = random.Random(args.seed)
    slow: threading.Thread | None = None
    if args.slow:

        @oa.agent(name="deep-research")
        def deep_research() -> None:
            oa.thought("this will take a while: reading every source")
            time.sleep(args.slow)

        slow = threading.Thread(target=deep_research)
        slow.start()
    names = ("planner", "researcher", "coder")
    start = time.monotonic()
    for i in range(args.count):
        _run_agent(names[i % 3], i, args.count, rng)
        delay = start + (i + 1) / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    if slow is not None:
        slow.join()
    oa.force_flush()
    oa.shutdown()


if __name__ == "__main__":
    main()
