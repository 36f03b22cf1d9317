"""The live app and the one-shot summary: a source feeding a state, panels drawing it.

run_live(FileSource([log]), MonitorState())             # until Ctrl-C
run_status(KafkaSource(servers, topics, snapshot=True), MonitorState(), as_json=True)
"""

from __future__ import annotations

import json
import sys
import time
from typing import Protocol

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text

from otel_agents.monitor.panels import dashboard, summary_view
from otel_agents.monitor.state import MonitorState


class EventSource(Protocol):
    """What the monitor reads from: ``KafkaSource`` or ``FileSource``."""

    def poll(self, timeout: float) -> list[bytes]: ...

    def caught_up(self) -> bool: ...

    def describe(self) -> str: ...

    def status(self) -> str: ...

    def close(self) -> None: ...


def run_live(
    source: EventSource,
    state: MonitorState,
    *,
    refresh_per_second: float = 4.0,
    console: Console | None = None,
    duration_s: float | None = None,
) -> int:
    """Draw the dashboard until Ctrl-C (or ``duration_s``); returns the exit code.

    Messages are taken as fast as they come; the screen is redrawn at most
    ``refresh_per_second`` times, so the cost of drawing does not grow with the rate.
    """
    console = console or Console()
    interval = 1.0 / max(0.2, refresh_per_second)
    stop_at = None if duration_s is None else time.monotonic() + duration_s
    next_draw = 0.0
    try:
        with Live(console=console, screen=True, auto_refresh=False) as live:
            while stop_at is None or time.monotonic() < stop_at:
                for payload in source.poll(min(0.05, interval)):
                    state.ingest(payload)
                now = time.monotonic()
                if now >= next_draw:
                    next_draw = now + interval
                    live.update(_view(state, source, console), refresh=True)
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
    return 0


def _view(state: MonitorState, source: EventSource, console: Console) -> RenderableType:
    size = console.size
    try:
        return dashboard(state, source.describe(), source.status(), size.height, size.width)
    except Exception as exc:
        # A drawing bug must not end the watch: say so on screen (a log line on stderr
        # would tear the screen), keep reading.
        return Text(f"otel-agents monitor: drawing failed ({exc!r}); still reading events")


def run_status(
    source: EventSource,
    state: MonitorState,
    *,
    as_json: bool = False,
    console: Console | None = None,
    timeout_s: float = 15.0,
) -> int:
    """Read what the source holds now, print a summary once, return the exit code."""
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batch = source.poll(0.2)
            for payload in batch:
                state.ingest(payload)
            if not batch and source.caught_up():
                break
    finally:
        note = source.status()  # e.g. a log that does not exist, a topic that is missing
        source.close()
    if note:
        sys.stderr.write(f"otel-agents monitor: {note}\n")
    if as_json:
        summary = state.summary()
        summary["source"] = source.describe()
        sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
    else:
        (console or Console()).print(summary_view(state, source.describe()))
    return 0
