"""One tally of outcomes per (kind, name): what ``status``, ``monitor``, the demo and
``learning_summary`` all report, so the same log gives the same figures everywhere.

    tally = Tallies(); tally.add_all(events)
    tally.to_json()["actions"][0]["p95_ms"]

Rules, once: success is status ``SUCCESS``; PENDING events are previews and are not
counted; a failure's error is its ``error_type``, else its status; percentiles are
nearest-rank over the latest ``LATENCY_WINDOW`` durations (bounded memory for a live
monitor, and the same window for a file read once).
"""

from __future__ import annotations

import collections
import math
from collections.abc import Iterable, Mapping
from typing import Any

from otel_agents.events.outcome import OutcomeEvent
from otel_agents.percentile import percentile

SUCCESS = "SUCCESS"
PENDING = "PENDING"
#: Durations kept per (kind, name) for percentiles.
LATENCY_WINDOW = 10_000
#: Feedback kinds that rate an action; corrections count against it, suggestions are neutral.
RATED_FEEDBACK = frozenset({"positive", "negative", "correction"})
_KIND_ORDER = {"workflow": 0, "agent": 1, "tool": 2}


def number(value: Any) -> float | None:
    """A finite number from an event field, else None (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


class Tally:
    """The figures of one (kind, name)."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        self.calls = 0
        self.successes = 0
        self.statuses: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.durations_ms: collections.deque[float] = collections.deque(maxlen=LATENCY_WINDOW)
        self.input_tokens = 0
        self.output_tokens = 0
        self.total_tokens = 0
        self.cost_usd = 0.0
        self.reward_sum = 0.0
        self.reward_n = 0
        self.quality_sum = 0.0
        self.quality_n = 0
        self.feedback: collections.Counter[str] = collections.Counter()

    def add_outcome(self, data: Mapping[str, Any]) -> bool:
        """Count one finished event (its ``data`` dict); False for a PENDING preview."""
        status = data.get("status")
        if status == PENDING or not isinstance(status, str):
            return False
        self.calls += 1
        self.statuses[status] += 1
        if status == SUCCESS:
            self.successes += 1
        else:
            self.errors[str(data.get("error_type") or status)] += 1
        duration = number(data.get("duration_ms"))
        if duration is not None:
            self.durations_ms.append(duration)
        input_tokens = number(data.get("input_tokens"))
        output_tokens = number(data.get("output_tokens"))
        total_tokens = number(data.get("total_tokens"))
        self.input_tokens += int(input_tokens or 0)
        self.output_tokens += int(output_tokens or 0)
        if total_tokens is None and (input_tokens is not None or output_tokens is not None):
            total_tokens = (input_tokens or 0) + (output_tokens or 0)
        self.total_tokens += int(total_tokens or 0)
        self.cost_usd += number(data.get("cost_usd")) or 0.0
        reward, quality = number(data.get("reward")), number(data.get("quality_score"))
        if reward is not None:
            self.reward_sum += reward
            self.reward_n += 1
        if quality is not None:
            self.quality_sum += quality
            self.quality_n += 1
        return True

    def add_feedback(self, kind: str) -> None:
        self.feedback[kind] += 1

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.calls if self.calls else None

    def percentile(self, q: float) -> float | None:
        return percentile(self.durations_ms, q)

    @property
    def p50_ms(self) -> float | None:
        return self.percentile(0.5)

    @property
    def p95_ms(self) -> float | None:
        return self.percentile(0.95)

    @property
    def avg_reward(self) -> float | None:
        return self.reward_sum / self.reward_n if self.reward_n else None

    @property
    def avg_quality(self) -> float | None:
        return self.quality_sum / self.quality_n if self.quality_n else None

    @property
    def feedback_count(self) -> int:
        return sum(self.feedback.values())

    @property
    def positive_rate(self) -> float | None:
        rated = sum(self.feedback[kind] for kind in RATED_FEEDBACK)
        return self.feedback["positive"] / rated if rated else None

    def to_json(self) -> dict[str, Any]:
        """The shared figures, JSON-ready, rounded the same way for every reader."""
        return {
            "kind": self.kind,
            "name": self.name,
            "calls": self.calls,
            "success_rate": _round(self.success_rate, 4),
            "statuses": dict(self.statuses),
            "p50_ms": _round(self.p50_ms, 3),
            "p95_ms": _round(self.p95_ms, 3),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "avg_reward": _round(self.avg_reward, 4),
            "avg_quality": _round(self.avg_quality, 4),
            "errors": dict(self.errors.most_common()),
        }


class Tallies:
    """Tallies of every (kind, name) seen; what ``otel-agents status`` and the demo print.

    tallies = Tallies(); tallies.add_all(events); tallies.rows()[0].success_rate
    """

    def __init__(self) -> None:
        self.stats: dict[tuple[str, str], Tally] = {}
        self.events = 0
        self.skipped = 0

    def add(self, event: OutcomeEvent | Mapping[str, Any]) -> None:
        data = event.data() if isinstance(event, OutcomeEvent) else event
        kind, name = str(data.get("kind") or "agent"), str(data.get("name") or "?")
        tally = self.stats.get((kind, name))
        if tally is None:
            tally = Tally(kind, name)
        if tally.add_outcome(data):
            self.stats[(kind, name)] = tally
            self.events += 1

    def add_all(self, events: Iterable[OutcomeEvent | Mapping[str, Any]]) -> None:
        for event in events:
            self.add(event)

    def rows(self) -> list[Tally]:
        return sorted(self.stats.values(), key=lambda s: (_KIND_ORDER.get(s.kind, 3), s.name))

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "skipped_lines": self.skipped,
            "actions": [tally.to_json() for tally in self.rows()],
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
