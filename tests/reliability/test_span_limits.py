"""Outcome events survive the SDK's span attribute limits (item 2).

The SDK evicts the *oldest* attribute when a span has too many, and cuts long values:
the identifying attributes, set first, would go first. The event must still come, with
the right operation and name, and our own metadata bound applies before the SDK's.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from opentelemetry.sdk.trace import SpanLimits, TracerProvider

import otel_agents as oa


@pytest.mark.parametrize(
    ("limits", "what"),
    [
        (SpanLimits(max_span_attributes=4), "count limit 4"),
        (SpanLimits(max_attribute_length=3), "value length limit 3"),
        (SpanLimits(), "default limit 128 with 130 metadata keys"),
    ],
)
@pytest.mark.internal_errors  # 130 metadata keys: the extra ones are counted, logged once
def test_identity_survives_attribute_limits(tmp_path: Path, limits: SpanLimits, what: str) -> None:
    provider = TracerProvider(span_limits=limits)
    log = tmp_path / "outcomes.jsonl"
    oa.configure(tracer_provider=provider, outcome_log=log)
    try:

        @oa.tool(name="lookup")
        def lookup() -> int:
            return 1

        @oa.agent(name="planner")
        def planner() -> int:
            oa.record(input_tokens=5, quality_score=0.5, metadata={f"k{i}": i for i in range(130)})
            return lookup()

        for _ in range(10):
            planner()
        assert oa.force_flush(10_000)
        stats = oa.get_telemetry().stats()  # type: ignore[union-attr]
    finally:
        oa.shutdown()
        provider.shutdown()
    events = [orjson.loads(line)["data"] for line in log.read_bytes().splitlines()]
    assert len(events) == 20, what
    assert sorted({(e["kind"], e["name"], e["operation"]) for e in events}) == [
        ("agent", "planner", "invoke_agent"),
        ("tool", "lookup", "execute_tool"),
    ], what
    assert stats["dropped"] == 0
