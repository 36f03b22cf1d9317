"""The local outcome log isolates a bad event: the rest of its batch is written (item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export import jsonl
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
    def to_json_bytes(self, max_bytes: int | None = None, keep: bool = True) -> bytes:
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


def _events(count: int, padding: int = 0) -> list[OutcomeEvent]:
    provider = TracerProvider()
    tracer = provider.get_tracer("t")
    events = []
    for i in range(count):
        attributes = {"gen_ai.operation.name": "invoke_agent", "i": i, "pad": "x" * padding}
        with tracer.start_as_current_span("invoke_agent a", attributes=attributes) as span:
            pass
        events.append(OutcomeEvent.from_span(span, max_value_length=1 << 20))  # type: ignore[arg-type]
    return events


def test_a_batch_larger_than_the_buffer_is_written_in_whole_lines_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "_BUFFER_BYTES", 8192)
    events = _events(40)
    huge = _events(1, padding=20_000)[0]  # more than the whole buffer: written by itself
    log = JsonLinesOutcomeLog(tmp_path / "outcomes.jsonl")
    writes: list[bytes] = []
    append = log._file.append

    def recording_append(lines: bytes | memoryview, records: int) -> bool:
        piece = bytes(lines)
        writes.append(piece)
        assert piece.count(b"\n") == records and piece.endswith(b"\n")
        return append(lines, records)

    monkeypatch.setattr(log._file, "append", recording_append)
    batch = [*events[:20], huge, *events[20:]]
    log.export_events(batch)
    log.export_events(events[:5])  # the buffer is reused: nothing of the last batch remains
    log.shutdown()
    lines = (tmp_path / "outcomes.jsonl").read_bytes().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [e.event_id for e in batch + events[:5]]
    assert len(writes) > 3
    assert max(len(w) for w in writes if huge.event_id.encode() not in w) <= 8192
    assert log.written == 46


def test_the_log_frees_each_events_json_unless_told_to_share_it(tmp_path: Path) -> None:
    alone, shared = _events(2)
    for event, share in ((alone, False), (shared, True)):
        log = JsonLinesOutcomeLog(tmp_path / f"{share}.jsonl", share_json=share)
        log.export_events([event])
        log.shutdown()
        kept = event.to_json_bytes(keep=False) is event.to_json_bytes(keep=False)
        assert kept is share
        assert json.loads(event.to_json_bytes()) == event.to_dict()
