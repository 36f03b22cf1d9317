"""``otel-agents status FILE``: summarise an outcome log (JSON lines)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from otel_agents.analysis.tally import Tallies
from otel_agents.cli._console import make_console
from otel_agents.cli._outcome_table import outcome_table
from otel_agents.events.outcome import OutcomeEvent


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="summarise an outcome log per agent")
    parser.add_argument("file", type=Path, help="outcome log (JSON lines)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=_main)


def summarise_file(path: Path) -> Tallies:
    """Read an outcome log; lines that are not OutcomeEvents are counted, not fatal."""
    summary = Tallies()
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                event = OutcomeEvent.from_json_bytes(line)
            except (ValueError, TypeError, KeyError, RecursionError):
                summary.skipped += 1
                continue
            summary.add(event)
    return summary


def _main(args: argparse.Namespace) -> int:
    if not args.file.exists():
        print(f"otel-agents status: no such file: {args.file}", file=sys.stderr)
        return 2
    summary = summarise_file(args.file)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
        return 0
    console = make_console()
    console.print(outcome_table(summary, title=f"Outcomes in {args.file}"))
    note = f"{summary.events} events"
    if summary.skipped:
        note += f", {summary.skipped} unreadable line(s) skipped"
    console.print(note)
    return 0
