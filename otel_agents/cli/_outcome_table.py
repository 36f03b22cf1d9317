"""The per-action table that ``otel-agents status`` and ``demo`` print (rich)."""

from __future__ import annotations

from rich.table import Table

from otel_agents.analysis.tally import SUCCESS, Tallies

_COLUMNS = (
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
)


def outcome_table(tallies: Tallies, title: str = "Agent outcomes") -> Table:
    """One row per (kind, name), with the figures of ``Tally.to_json``."""
    table = Table(title=title, title_justify="left")
    for column, justify in _COLUMNS:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in tallies.rows():
        failures = ", ".join(
            f"{status.lower()} {count}"
            for status, count in sorted(s.statuses.items())
            if status != SUCCESS
        )
        rate = s.success_rate or 0.0
        colour = "green" if rate >= 0.95 else "yellow" if rate >= 0.8 else "red"
        table.add_row(
            s.kind,
            s.name,
            str(s.calls),
            f"[{colour}]{rate:.0%}[/{colour}]",
            _ms(s.p50_ms),
            _ms(s.p95_ms),
            f"{s.input_tokens:,}" if s.input_tokens else "-",
            f"{s.output_tokens:,}" if s.output_tokens else "-",
            f"{s.cost_usd:.4f}" if s.cost_usd else "-",
            failures or "-",
        )
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"
