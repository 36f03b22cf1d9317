"""A simulated multi-agent workflow, instrumented with otel-agents, for ``otel-agents demo``.

planner → researcher (with tool calls, retries) → writer (sometimes times out) →
evaluator (scores, reward, and feedback on the writer's draft). Randomness is seeded,
latencies are short sleeps, and token counts and costs are made up but plausible: the
point is realistic telemetry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace

import otel_agents as oa

_PRICE_PER_1K = {"input": 0.0025, "output": 0.01}
_TOPICS = ("kafka retention", "agent evaluation", "vector search", "tracing costs", "RAG quality")


class ToolUnavailable(Exception):
    """A simulated transient tool failure (retried)."""


class LLMTimeout(TimeoutError):
    """A simulated LLM call that took too long."""


@dataclass
class Draft:
    """The writer's output: the text and the span that produced it."""

    text: str
    span: trace.Span


@dataclass
class DemoWorld:
    """Random source and time scale shared by the simulated agents."""

    rng: random.Random
    speed: float = 1.0

    def pause(self, low_ms: float, high_ms: float) -> float:
        ms = self.rng.uniform(low_ms, high_ms)
        time.sleep(ms / 1000 / self.speed)
        return ms

    def llm_call(
        self, model: str, prompt_tokens: tuple[int, int], output_tokens: tuple[int, int]
    ) -> None:
        latency = self.pause(15, 60)
        tokens_in = self.rng.randint(*prompt_tokens)
        tokens_out = self.rng.randint(*output_tokens)
        cost = (
            tokens_in / 1000 * _PRICE_PER_1K["input"] + tokens_out / 1000 * _PRICE_PER_1K["output"]
        )
        oa.record(
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            llm_latency_ms=latency,
            cost_usd=round(cost, 6),
            model=model,
            provider="openai",
        )


def build_agents(world: DemoWorld) -> Callable[[int], dict[str, Any]]:
    """Create the decorated demo agents; returns ``run(index)`` for one workflow run."""

    @oa.tool(tool_type="extension")
    def web_search(query: str) -> list[str]:
        """Search the web for documents."""
        world.pause(5, 25)
        if world.rng.random() < 0.2:
            raise ToolUnavailable("search backend returned 503")
        return [f"https://example.org/{query.replace(' ', '-')}/{i}" for i in range(3)]

    @oa.tool(tool_type="datastore")
    def vector_lookup(query: str) -> list[str]:
        """Look up similar passages in the vector store."""
        world.pause(3, 12)
        return [f"passage-{world.rng.randint(1, 999)}" for _ in range(4)]

    @oa.agent(name="planner", action_type="planning", model="gpt-4o-mini")
    def planner(topic: str) -> list[str]:
        """Break a topic into research steps."""
        oa.thought(f"breaking '{topic}' into sub-questions")
        world.llm_call("gpt-4o-mini", (300, 600), (80, 200))
        return [f"{topic}: background", f"{topic}: trade-offs"]

    @oa.agent(name="researcher", action_type="tool_use", model="gpt-4o")
    def researcher(steps: list[str]) -> list[str]:
        """Gather evidence for each step, retrying flaky tools."""
        notes: list[str] = []
        retries = 0
        for step in steps:
            for attempt in range(3):
                try:
                    notes += web_search(step)
                    break
                except ToolUnavailable:
                    retries += 1
                    oa.thought(f"search failed for '{step}', retry {attempt + 1}")
            notes += vector_lookup(step)
        world.llm_call("gpt-4o", (900, 2400), (150, 400))
        oa.record(retry_count=retries, confidence_score=round(world.rng.uniform(0.55, 0.95), 3))
        if retries >= 2:
            oa.record(status=oa.Status.PARTIAL)
        return notes

    @oa.agent(name="writer", action_type="generation", model="gpt-4o")
    def writer(notes: list[str]) -> Draft:
        """Draft the report from the notes."""
        oa.thought(f"drafting from {len(notes)} notes")
        world.llm_call("gpt-4o", (1500, 3500), (400, 900))
        if world.rng.random() < 0.12:
            raise LLMTimeout("completion exceeded 30s")
        # The draft carries its span so the evaluator can send feedback on this very action.
        return Draft(f"Report based on {len(notes)} sources.", trace.get_current_span())

    @oa.agent(name="evaluator", action_type="evaluation", model="gpt-4o-mini")
    def evaluator(draft: Draft) -> dict[str, Any]:
        """Judge the draft, turn the judgement into a reward and feed it back to the writer."""
        world.llm_call("gpt-4o-mini", (400, 900), (40, 120))
        quality = round(world.rng.betavariate(6, 2), 3)
        oa.evaluation("report_quality", score=quality, label="good" if quality > 0.7 else "weak")
        if quality < 0.5:
            oa.thought("draft is weak: missing trade-offs section")
        oa.feedback(
            draft.span,
            "positive" if quality >= 0.6 else "negative",
            score=quality,
            comment=None if quality >= 0.6 else "missing the trade-offs section",
            user="evaluator",
            agent="writer",
        )
        return {"quality_score": quality, "reward": round(quality * 2 - 1, 3)}

    def run(index: int) -> dict[str, Any]:
        topic = _TOPICS[index % len(_TOPICS)]
        with oa.workflow("research-report", tags=["demo"], correlation_id=f"demo-{index:04d}"):
            steps = planner(topic)
            notes = researcher(steps)
            try:
                report = writer(notes)
            except LLMTimeout:
                report = writer(notes)  # one retry; a second timeout fails the workflow
            return evaluator(report)

    return run


def run_demo(
    runs: int = 5,
    seed: int = 7,
    speed: float = 1.0,
    on_run: Callable[[int, BaseException | None], None] | None = None,
) -> int:
    """Run the simulated workflow ``runs`` times; returns the number of failed runs."""
    run = build_agents(DemoWorld(random.Random(seed), speed))
    failed = 0
    for index in range(runs):
        error: BaseException | None = None
        try:
            run(index)
        except Exception as exc:  # a failed run is part of the demo, not a crash
            error = exc
            failed += 1
        if on_run is not None:
            on_run(index, error)
    return failed
