"""``monitor --from-analytics``: show what the Spark job published, recompute nothing.

    view = AnalyticsView()
    view.ingest(payload)               # one agent-metrics or agent-learning record
    console.print(view.table())

Keeps the newest window per (service, kind, name, window length) and per learning group,
so memory stays bounded by the number of agents, not by time. A record seen again (the
job's at-least-once delivery) replaces itself: records are kept by their ``id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rich.table import Table

from otel_agents.analytics.records import LEARNING_TYPE, METRICS_TYPE, RECORD_WINDOW

MAX_GROUPS = 2000


class AnalyticsView:
    """The latest agent-metrics and agent-learning windows, by group."""

    def __init__(self) -> None:
        self.metrics: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        self.learning: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        self.pairs = 0
        self.ignored = 0

    def ingest(self, payload: bytes) -> None:
        """Take one record; anything else is counted in ``ignored`` (never raises)."""
        try:
            record = orjson.loads(payload)
        except orjson.JSONDecodeError:
            self.ignored += 1
            return
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == METRICS_TYPE:
            key = (record.get("service"), record.get("kind"), record.get("name"))
            self._keep(self.metrics, (*key, record.get("window_seconds")), record)
        elif kind == LEARNING_TYPE and record.get("record") == RECORD_WINDOW:
            key = (record.get("service"), record.get("agent"), record.get("model"))
            self._keep(self.learning, (*key, record.get("agent_version")), record)
        elif kind == LEARNING_TYPE:
            self.pairs += 1
        else:
            self.ignored += 1

    @staticmethod
    def _keep(
        table: dict[tuple[Any, ...], Mapping[str, Any]],
        key: tuple[Any, ...],
        record: Mapping[str, Any],
    ) -> None:
        current = table.get(key)
        if current is not None and str(current.get("window_start")) > str(
            record.get("window_start")
        ):
            return  # an older window arriving late (or again) does not replace a newer one
        if current is None and len(table) >= MAX_GROUPS:
            return
        table[key] = record

    def summary(self) -> dict[str, Any]:
        """The latest windows as JSON-ready lists (for ``--status --json``)."""
        return {
            "metrics": sorted(self.metrics.values(), key=_order),
            "learning": sorted(self.learning.values(), key=_order),
            "pairs_seen": self.pairs,
            "ignored": self.ignored,
        }

    def table(self, source: str = "") -> Table:
        """A rich table of the newest metrics windows, one row per group and window length."""
        table = Table(title=f"Agent metrics from the analytics job {source}".strip())
        for column in ("service", "kind", "name", "window", "calls", "success", "p95 ms"):
            table.add_column(column)
        for column in ("tokens in/out", "cost $", "positive"):
            table.add_column(column)
        positive = {
            (r.get("service"), r.get("agent")): r.get("positive_rate")
            for r in self.learning.values()
        }
        for record in sorted(self.metrics.values(), key=_order):
            rate = positive.get((record.get("service"), record.get("name")))
            p95 = (record.get("duration_ms") or {}).get("p95")
            table.add_row(
                str(record.get("service")),
                str(record.get("kind")),
                str(record.get("name")),
                f"{record.get('window_seconds')}s @ {str(record.get('window_start'))[11:19]}",
                str(record.get("calls")),
                f"{float(record.get('success_rate') or 0):.0%}",
                "-" if p95 is None else f"{p95:,.1f}",
                f"{record.get('input_tokens')}/{record.get('output_tokens')}",
                f"{float(record.get('cost_usd') or 0):.4f}",
                "-" if rate is None else f"{rate:.0%}",
            )
        return table


def _order(record: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(record.get(k) or "")
        for k in ("service", "kind", "name", "agent", "window_seconds", "model")
    )


def run_from_analytics(
    source: Any,
    view: AnalyticsView,
    *,
    one_shot: bool,
    as_json: bool = False,
    refresh_per_second: float = 1.0,
    duration_s: float | None = None,
    timeout_s: float = 15.0,
) -> int:
    """Read ``source`` (a KafkaSource over the two topics) into ``view`` and show it."""
    import json
    import sys
    import time

    from rich.console import Console
    from rich.live import Live

    console = Console()
    if one_shot:
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline:
                batch = source.poll(0.2)
                for payload in batch:
                    view.ingest(payload)
                if not batch and source.caught_up():
                    break
        finally:
            source.close()
        if as_json:
            sys.stdout.write(json.dumps(view.summary(), indent=2) + "\n")
        else:
            console.print(view.table(source.describe()))
        return 0
    stop_at = None if duration_s is None else time.monotonic() + duration_s
    interval = 1.0 / max(0.2, refresh_per_second)
    next_draw = 0.0
    try:
        with Live(console=console, auto_refresh=False) as live:
            while stop_at is None or time.monotonic() < stop_at:
                for payload in source.poll(0.1):
                    view.ingest(payload)
                if time.monotonic() >= next_draw:
                    next_draw = time.monotonic() + interval
                    live.update(view.table(source.describe()), refresh=True)
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
    return 0
