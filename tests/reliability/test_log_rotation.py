"""The outcome log keeps a configurable number of rotated files and says what it deleted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa


def test_rotation_keeps_n_files_and_counts_what_was_rotated_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_OUTCOME_LOG_MAX_BYTES", "20000")
    monkeypatch.setenv("OTEL_AGENTS_OUTCOME_LOG_KEEP", "3")
    log = tmp_path / "outcomes.jsonl"
    provider = TracerProvider()
    telemetry = oa.configure(tracer_provider=provider, outcome_log=log)
    try:

        @oa.agent(name="chatty")
        def chatty() -> None:
            pass

        with caplog.at_level(logging.WARNING, logger="otel_agents"):
            for _ in range(3000):
                chatty()
            assert oa.force_flush(10_000)
        stats = telemetry.stats()
    finally:
        oa.shutdown()
    files = {p.name for p in tmp_path.iterdir()} - {"outcomes.jsonl"}  # live: maybe not yet
    assert files == {"outcomes.jsonl.1", "outcomes.jsonl.2", "outcomes.jsonl.3"}
    kept = sum(len(p.read_bytes().splitlines()) for p in tmp_path.iterdir())
    assert stats["outcome_log_rotations"] >= 4
    # Every event is either on disk or counted as rotated away: nothing vanishes unsaid.
    assert kept + stats["outcome_log_rotated_away"] == 3000
    assert stats["outcome_log_rotated_away"] > 0
    assert "OTEL_AGENTS_OUTCOME_LOG_KEEP" in caplog.text


def test_invalid_keep_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_AGENTS_OUTCOME_LOG_KEEP", "0")
    with pytest.raises(oa.ConfigurationError, match="OTEL_AGENTS_OUTCOME_LOG_KEEP"):
        oa.configure()
    oa.shutdown()
