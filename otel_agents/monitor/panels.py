"""The monitor's panels: each a function from ``MonitorState`` to a rich renderable.

    console.print(agents_panel(state))
    console.print(dashboard(state, source="kafka 127.0.0.1:9092 agent-outcomes"))

Panels only read the state; they never change it, so any one can be rendered (and tested)
on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from otel_agents.analysis.learning import DECLINING, IMPROVING, STEADY
from otel_agents.monitor.state import AgentStats, MonitorState

STATUS_STYLES = {
    "SUCCESS": "green",
    "FAILURE": "bold red",
    "TIMEOUT": "red",
    "CANCELLED": "yellow",
    "PARTIAL": "yellow",
    "PENDING": "cyan",
}
_TREND_TEXT = {
    IMPROVING: ("▲ improving", "green"),
    DECLINING: ("▼ declining", "red"),
    STEADY: ("► steady", "white"),
}
_SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """Tiny bar chart of ``values`` scaled between their min and max: ``▁▃▅█``."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return _SPARKS[3] * len(values)
    scale = (len(_SPARKS) - 1) / (high - low)
    return "".join(_SPARKS[round((value - low) * scale)] for value in values)


def header_panel(state: MonitorState, source: str = "", live: bool = True) -> Panel:
    """Events seen, success rate, in-flight agents, events/s (and what was skipped).

    ``live=False`` (the one-shot summary) shows messages read instead of a rate.
    """
    slow = sum(1 for _, secs in state.running() if secs >= state.slow_after_s)
    grid = Table.grid(expand=True, padding=(0, 2))
    for _ in range(6):
        grid.add_column(justify="center")
    grid.add_row(
        _metric("events", f"{state.outcomes:,}"),
        _metric("success", _pct(state.success_rate)),
        _metric(
            "in-flight agents",
            f"{state.in_flight_agents}" + (f" ({slow} slow)" if slow else ""),
            "bold red" if slow else "bold",
        ),
        _metric("events/s", f"{state.events_per_second():,.1f}")
        if live
        else _metric("messages", f"{state.messages:,}"),
        _metric("feedback", f"{state.feedback_count:,}"),
        _metric(
            "malformed/foreign",
            f"{state.malformed}/{state.foreign}",
            "bold yellow" if state.malformed or state.foreign else "bold",
        ),
    )
    return Panel(grid, title="otel-agents monitor", subtitle=source or None, box=box.ROUNDED)


def actions_panel(state: MonitorState, rows: int = 12) -> Panel:
    """The latest finished actions, newest first, status coloured."""
    table = Table(
        box=box.SIMPLE_HEAD, expand=True, pad_edge=False, padding=(0, 1), collapse_padding=True
    )
    table.add_column("time", no_wrap=True, min_width=8)
    # Names take what the fixed-width numbers leave (ratio), cut with an ellipsis.
    table.add_column("agent", no_wrap=True, ratio=3, overflow="ellipsis")
    table.add_column("action", no_wrap=True, ratio=2, overflow="ellipsis")
    table.add_column("status", no_wrap=True, min_width=9)
    table.add_column("ms", justify="right", no_wrap=True, min_width=5)
    table.add_column("tokens", justify="right", no_wrap=True, min_width=6)
    table.add_column("q/r", justify="right", no_wrap=True, min_width=10)
    for row in list(state.recent)[-rows:][::-1]:
        table.add_row(
            row.time,
            row.agent,
            row.action_type,
            Text(row.status, style=STATUS_STYLES.get(row.status, "")),
            _num(row.duration_ms, "{:,.0f}"),
            "-" if row.tokens is None else _compact(row.tokens),
            f"{_num(row.quality, '{:.2f}')}/{_num(row.reward, '{:.2f}')}",
        )
    return Panel(table, title="recent actions", box=box.ROUNDED)


def thoughts_panel(state: MonitorState, rows: int = 6) -> Panel:
    """The latest ``oa.thought(...)`` texts with their agent."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True, style="bold cyan", max_width=18, overflow="ellipsis")
    table.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
    for row in list(state.thoughts)[-rows:][::-1]:
        table.add_row(row.time, row.agent, row.text)
    if not state.thoughts:
        table.add_row("", "", Text("no thoughts yet (oa.thought(...))", style="dim"))
    return Panel(table, title="agent thoughts", box=box.ROUNDED)


def agents_panel(state: MonitorState, rows: int = 10) -> Panel:
    """Per agent: calls, success %, p95 latency, reward/quality, tokens, cost, positive %."""
    table = Table(
        box=box.SIMPLE_HEAD, expand=True, pad_edge=False, padding=(0, 1), collapse_padding=True
    )
    table.add_column("agent", no_wrap=True, min_width=10, max_width=22, overflow="ellipsis")
    for name, width in (
        ("calls", 5),
        ("ok %", 6),
        ("p95 ms", 6),
        ("reward", 6),
        ("quality", 7),
        ("tokens", 6),
        ("cost $", 7),
        ("+fb %", 6),
    ):
        table.add_column(name, justify="right", no_wrap=True, min_width=width)
    for stats in _busiest(state, rows):
        rate = stats.success_rate
        table.add_row(
            stats.name,
            _compact(stats.calls),
            Text(_pct(rate), style=_rate_style(rate)),
            _num(stats.p95_ms, "{:,.0f}"),
            _num(stats.avg_reward, "{:.2f}"),
            _num(stats.avg_quality, "{:.2f}"),
            _compact(stats.tokens),
            f"{stats.cost_usd:.4f}" if stats.cost_usd < 100 else f"{stats.cost_usd:,.0f}",
            _pct(stats.positive_rate),
        )
    return Panel(table, title="agents", box=box.ROUNDED)


def learning_panel(state: MonitorState, rows: int = 8) -> Panel:
    """Per agent: trend from a moving-window comparison, with a sparkline of windows."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column("agent", no_wrap=True, max_width=22, overflow="ellipsis")
    table.add_column("trend", no_wrap=True, min_width=11)
    table.add_column("windows", no_wrap=True, min_width=7)
    table.add_column("Δ", justify="right", no_wrap=True, min_width=5)
    table.add_column("top error / negative feedback", overflow="ellipsis", no_wrap=True, ratio=1)
    for stats in _busiest(state, rows):
        trend = stats.trend
        label, style = _TREND_TEXT.get(trend.direction, ("… learning", "dim"))
        error = stats.errors.most_common(1)
        reason = stats.reasons.most_common(1)
        notes = [f"{error[0][0]} ×{error[0][1]}"] if error else []
        notes += [f'"{reason[0][0]}" ×{reason[0][1]}'] if reason else []
        table.add_row(
            stats.name,
            Text(label, style=style),
            sparkline(stats.spark_values()),
            _num(trend.score, "{:+.2f}"),
            "; ".join(notes) or "-",
        )
    return Panel(table, title=f"learning (windows of {state.window})", box=box.ROUNDED)


def tools_panel(state: MonitorState, rows: int = 8) -> Panel:
    """Tool calls by tool, with failures."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column("tool", no_wrap=True, overflow="ellipsis", ratio=1)
    table.add_column("calls", justify="right", no_wrap=True, min_width=6)
    table.add_column("failed", justify="right", no_wrap=True, min_width=6)
    for tool, count in state.tools.most_common(rows):
        failed = state.tool_failures[tool]
        table.add_row(
            tool, _compact(count), Text(_compact(failed), style="red" if failed else "dim")
        )
    return Panel(table, title="tool usage", box=box.ROUNDED)


def running_panel(state: MonitorState, rows: int = 6) -> Panel:
    """In-flight actions (from PENDING events), slow ones flagged."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column("running", no_wrap=True, overflow="ellipsis")
    table.add_column("kind", no_wrap=True)
    table.add_column("for", justify="right", no_wrap=True)
    running = state.running()
    for item, seconds in running[:rows]:
        slow = seconds >= state.slow_after_s
        table.add_row(
            item.name,
            item.kind,
            Text(f"{seconds:,.1f}s" + (" SLOW" if slow else ""), style="bold red" if slow else ""),
        )
    title = f"in flight ({len(running)})"
    if not running:
        return Panel(
            Text("none (set OTEL_AGENTS_EMIT_PENDING=true in the agents)", style="dim"),
            title=title,
            box=box.ROUNDED,
        )
    return Panel(table, title=title, box=box.ROUNDED)


def footer(state: MonitorState, source_status: str = "") -> Text:
    text = Text(" Ctrl-C quits", style="dim")
    if state.filtered:
        text.append(f" · {state.filtered:,} filtered out", style="dim")
    if source_status:
        text.append(f" · {source_status}", style="yellow")
    return text


#: Below this many columns the panels are stacked rather than set side by side.
WIDE = 150


def dashboard(
    state: MonitorState,
    source: str = "",
    source_status: str = "",
    height: int = 40,
    width: int = WIDE,
) -> RenderableType:
    """The whole screen, sized for a terminal ``height`` lines by ``width`` columns."""
    body_rows = max(3, height - 5)
    layout = Layout()
    layout.split_column(
        Layout(header_panel(state, source), name="header", size=4),
        Layout(name="body"),
        Layout(footer(state, source_status), name="footer", size=1),
    )
    body = layout["body"]
    # Tall enough for every agent (up to a third of the screen), no taller.
    tables = min(max(6, body_rows // 3), max(6, len(state.agents) + 5))
    agents = Layout(agents_panel(state, rows=tables - 4), name="agents", size=tables)
    learning = Layout(learning_panel(state, rows=tables - 4), name="learning", size=tables)
    if width >= WIDE:
        body.split_row(Layout(name="left", ratio=5), Layout(name="right", ratio=6))
        body["left"].split_column(
            Layout(actions_panel(state, rows=max(2, body_rows - 12)), name="actions"),
            Layout(thoughts_panel(state, rows=5), name="thoughts", size=7),
        )
        small = max(1, body_rows - 2 * tables - 4)
        body["right"].split_column(agents, learning, Layout(name="bottom"))
        body["right"]["bottom"].split_row(
            Layout(tools_panel(state, rows=small), name="tools"),
            Layout(running_panel(state, rows=small), name="running"),
        )
        return layout
    # Narrow terminal: the per-agent tables get the full width, the rest shares a row.
    rest = max(3, body_rows - 2 * tables)
    body.split_column(agents, learning, Layout(name="bottom"))
    body["bottom"].split_row(
        Layout(actions_panel(state, rows=max(1, rest - 4)), name="actions", ratio=3),
        Layout(name="side", ratio=2),
    )
    body["bottom"]["side"].split_column(
        Layout(thoughts_panel(state, rows=max(1, rest // 3 - 2)), name="thoughts"),
        Layout(running_panel(state, rows=max(1, rest // 3 - 4)), name="running"),
        Layout(tools_panel(state, rows=max(1, rest // 3 - 4)), name="tools"),
    )
    return layout


def summary_view(state: MonitorState, source: str = "") -> RenderableType:
    """The one-shot ``--status`` output: every panel but the live-only ones, stacked."""
    return Group(
        header_panel(state, source, live=False),
        agents_panel(state, rows=50),
        learning_panel(state, rows=50),
        tools_panel(state, rows=20),
        running_panel(state, rows=20),
    )


def _busiest(state: MonitorState, rows: int) -> list[AgentStats]:
    return sorted(state.agents.values(), key=lambda s: s.calls, reverse=True)[:rows]


def _metric(label: str, value: str, style: str = "bold") -> Text:
    text = Text(value, style=style)
    text.append(f"\n{label}", style="dim")
    return text


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _rate_style(rate: float | None) -> str:
    if rate is None:
        return "dim"
    return "green" if rate >= 0.95 else "yellow" if rate >= 0.8 else "red"


def _compact(value: float) -> str:
    """1234 -> 1.2k: counts stay readable in a narrow column."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"


def _num(value: float | int | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)
