"""oa.learning_summary: positive rate, trend over windows, errors and negative reasons."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import otel_agents as oa
from otel_agents.analysis.learning import Sample, trend_of


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("OTEL_AGENTS_FEEDBACK_LOG", str(tmp_path / "feedback.jsonl"))
    oa.configure(service_name="learning-test", outcome_log=tmp_path / "o.jsonl")
    yield
    oa.shutdown()


@oa.agent(name="tutor")
def tutor(step: int) -> str | None:
    oa.record(reward=step / 40, quality_score=0.5 + step / 100)
    if step % 8 == 0:
        raise KeyError("missing lesson")
    return oa.current_event_id()


def test_learning_summary_of_this_process(configured: None) -> None:
    ids = []
    for step in range(1, 41):
        with contextlib.suppress(KeyError):
            ids.append(tutor(step))
    oa.feedback(ids[0], "positive")
    oa.feedback(ids[1], "positive")
    oa.feedback(ids[2], "negative", comment="Too vague")
    oa.feedback(ids[3], "correction", correction="too vague")
    oa.feedback(ids[4], "suggestion", comment="add an example")

    summary = oa.learning_summary("tutor", window=10)
    assert summary.calls == 40
    assert summary.success_rate == 35 / 40
    assert summary.trend.direction == "improving"
    assert len(summary.windows) == 4
    assert summary.positive_rate == 0.5  # 2 positive of 4 rated (suggestions are neutral)
    assert summary.feedback_count == 5
    assert summary.top_errors == [("KeyError", 5)]
    assert summary.negative_reasons == [("too vague", 2)]
    assert summary.to_dict()["trend"]["direction"] == "improving"


def test_summary_of_given_events_ignores_other_agents() -> None:
    events = [{"agent_name": "a", "status": "SUCCESS", "event_id": str(i)} for i in range(5)]
    events += [{"agent_name": "b", "status": "FAILURE", "event_id": "x"}]
    summary = oa.learning_summary("a", events=events, feedback=[])
    assert (summary.calls, summary.success_rate, summary.trend.direction) == (5, 1.0, "unknown")


def test_trend_needs_enough_samples_per_window() -> None:
    assert trend_of([Sample(True)] * 7, window=20).direction == "unknown"
    worse = [Sample(True)] * 10 + [Sample(False)] * 10
    assert trend_of(worse, window=10).direction == "declining"
