"""FileSource follows a JSON-lines log like ``tail -F``."""

from __future__ import annotations

import os
from pathlib import Path

from otel_agents.monitor.file_source import FileSource
from tests.monitor import _events


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def test_from_now_skips_existing_lines_and_follows_new_ones(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    _append(log, _events.outcome("old") + b"\n")
    source = FileSource([log])
    assert source.poll(0.05) == []
    new = _events.outcome("new")
    _append(log, new + b"\n")
    assert source.poll(0.5) == [new]


def test_from_beginning_reads_existing_lines(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    old = _events.outcome("old")
    _append(log, old + b"\n")
    assert FileSource([log], from_beginning=True).poll(0.5) == [old]


def test_a_half_written_line_waits_for_its_end(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    log.touch()
    source = FileSource([log])
    line = _events.outcome("planner")
    _append(log, line[:20])
    assert source.poll(0.05) == []
    _append(log, line[20:] + b"\n")
    assert source.poll(0.5) == [line]


def test_a_file_created_later_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    source = FileSource([log])
    assert source.poll(0.05) == []
    assert "waiting for" in source.status()
    first = _events.outcome("first")
    _append(log, first + b"\n")
    assert source.poll(0.5) == [first]
    assert source.status() == ""


def test_rotation_loses_no_line(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    log.touch()
    source = FileSource([log])
    before, after = _events.outcome("before"), _events.outcome("after")
    _append(log, before + b"\n")
    os.replace(log, tmp_path / "outcomes.jsonl.1")  # what JsonLinesOutcomeLog does
    _append(log, after + b"\n")
    seen: list[bytes] = []
    for _ in range(5):
        seen += source.poll(0.05)
    assert seen == [before, after]


def test_several_files_are_followed_together(tmp_path: Path) -> None:
    outcomes, feedback = tmp_path / "outcomes.jsonl", tmp_path / "feedback.jsonl"
    source = FileSource([outcomes, feedback], from_beginning=True)
    a, b = _events.outcome("a"), _events.feedback("x", "positive")
    _append(outcomes, a + b"\n")
    _append(feedback, b + b"\n")
    assert sorted(source.poll(0.5)) == sorted([a, b])
    assert source.caught_up() is False or source.poll(0.05) == []
