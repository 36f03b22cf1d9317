"""Per-agent summaries of OutcomeEvents: what ``otel-agents demo`` and ``status`` print."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from rich.table import Table

from otel_agents.events.outcome import OutcomeEvent

_GOOD = ("SUCCESS",)


@dataclasses.dataclass
class ActionStats:
    """Counters for one (kind, name)."""

    kind: str
    name: str
    calls: int = 0
    successes: int = 0
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)
    durations_ms: list[float] = dataclasses.field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    errors: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        return self.successes / self.calls if self.calls else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.durations_ms:
            return None
        ordered = sorted(self.durations_ms)
        index = min(round(q * (len(ordered) - 1)), len(ordered) - 1)
        return ordered[index]


class OutcomeSummary:
    """Accumulates events into per-action stats.

    summary = OutcomeSummary(); summary.add_all(events); console.print(summary.table())
    """

    def __init__(self) -> None:
        self.stats: dict[tuple[str, str], ActionStats] = {}
        self.events = 0
        self.skipped = 0

    def add(self, event: OutcomeEvent) -> None:
        if event.event_type != "outcome":
            return
        self.events += 1
        key = (event.kind, event.name)
        stats = self.stats.get(key)
        if stats is None:
            stats = self.stats[key] = ActionStats(event.kind, event.name)
        stats.calls += 1
        stats.statuses[event.status] = stats.statuses.get(event.status, 0) + 1
        if event.status in _GOOD:
            stats.successes += 1
        if event.duration_ms is not None:
            stats.durations_ms.append(event.duration_ms)
        stats.input_tokens += event.input_tokens or 0
        stats.output_tokens += event.output_tokens or 0
        stats.cost_usd += event.cost_usd or 0.0
        if event.error_type:
            stats.errors[event.error_type] = stats.errors.get(event.error_type, 0) + 1

    def add_all(self, events: Iterable[OutcomeEvent]) -> None:
        for event in events:
            self.add(event)

    def rows(self) -> list[ActionStats]:
        order = {"workflow": 0, "agent": 1, "tool": 2}
        return sorted(self.stats.values(), key=lambda s: (order.get(s.kind, 3), s.name))

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "skipped_lines": self.skipped,
            "actions": [
                {
                    "kind": s.kind,
                    "name": s.name,
                    "calls": s.calls,
                    "success_rate": round(s.success_rate, 4),
                    "statuses": s.statuses,
                    "p50_ms": s.percentile(0.5),
                    "p95_ms": s.percentile(0.95),
                    "input_tokens": s.input_tokens,
                    "output_tokens": s.output_tokens,
                    "cost_usd": round(s.cost_usd, 6),
                    "errors": s.errors,
                }
                for s in self.rows()
            ],
        }

    def table(self, title: str = "Agent outcomes") -> Table:
        table = Table(title=title, title_justify="left")
        for column, justify in (
            ("kind", "left"),
            ("name", "left"),
            ("calls", "right"),
            ("success", "right"),
            ("p50 ms", "right"),
            ("p95 ms", "right"),
            ("tokens in", "right"),
            ("tokens out", "right"),
            ("cost $", "right"),
            ("not ok", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for s in self.rows():
            failures = ", ".join(
                f"{status.lower()} {count}"
                for status, count in sorted(s.statuses.items())
                if status not in _GOOD
            )
            rate = s.success_rate
            colour = "green" if rate >= 0.95 else "yellow" if rate >= 0.8 else "red"
            table.add_row(
                s.kind,
                s.name,
                str(s.calls),
                f"[{colour}]{rate:.0%}[/{colour}]",
                _ms(s.percentile(0.5)),
                _ms(s.percentile(0.95)),
                f"{s.input_tokens:,}" if s.input_tokens else "-",
                f"{s.output_tokens:,}" if s.output_tokens else "-",
                f"{s.cost_usd:.4f}" if s.cost_usd else "-",
                failures or "-",
            )
        return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"
