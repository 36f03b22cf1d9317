"""The live loop and the one-shot summary, in-process (the tmux test covers a real terminal)."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from rich.console import Console

from otel_agents.monitor import FileSource, MonitorState, run_live
from tests.monitor import _events


def test_live_loop_reads_while_drawing_and_stops_on_time(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    log.touch()
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, height=40)
    state = MonitorState()

    def write_later() -> None:
        time.sleep(0.3)
        with open(log, "ab") as handle:
            for _ in range(25):
                handle.write(_events.outcome("planner") + b"\n")
            handle.write(b"{broken\n")

    writer = threading.Thread(target=write_later)
    writer.start()
    assert run_live(FileSource([log]), state, console=console, duration_s=1.5) == 0
    writer.join()
    assert (state.outcomes, state.malformed) == (25, 1)
    assert "otel-agents monitor" in screen.getvalue()
