"""The local outcome log isolates a bad event: the rest of its batch is written (item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export.jsonl import JsonLinesOutcomeLog


def test_surrogate_and_huge_int_do_not_lose_the_batch(traced: Any) -> None:
    @oa.agent(name="writer")
    def writer(i: int) -> None:
        if i == 250:
            oa.thought("cut mid-emoji \ud800")
        if i == 300:
            oa.record(metadata={"big": 2**70, "neg": -(2**80)})

    for i in range(501):
        writer(i)
    assert oa.force_flush(10_000)
    lines = traced.log.read_bytes().splitlines()
    assert len(lines) == 501
    events = [json.loads(line)["data"] for line in lines]
    assert events[250]["events"][0]["attributes"]["agent.thought.text"] == "cut mid-emoji \\ud800"
    assert traced.telemetry.stats()["events"] == 501
    assert traced.telemetry.stats()["sink_failures"] == 0


class _Unserialisable(OutcomeEvent):
    def to_json_bytes(self, max_bytes: int | None = None) -> bytes:
        raise TypeError("cannot serialise")


def test_an_event_that_cannot_be_serialised_is_counted_and_the_rest_written(
    tmp_path: Path,
) -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("t")
    events = []
    for i in range(5):
        with tracer.start_as_current_span(
            "invoke_agent a", attributes={"gen_ai.operation.name": "invoke_agent", "i": i}
        ) as span:
            pass
        events.append(OutcomeEvent.from_span(span))  # type: ignore[arg-type]
    bad = _Unserialisable(dict(events[2].data()))
    log = JsonLinesOutcomeLog(tmp_path / "outcomes.jsonl")
    log.export_events([*events[:2], bad, *events[3:]])
    log.shutdown()
    assert len((tmp_path / "outcomes.jsonl").read_bytes().splitlines()) == 4
    assert (log.written, log.failed) == (4, 1)
