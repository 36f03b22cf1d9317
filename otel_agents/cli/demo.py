"""``otel-agents demo``: run a simulated multi-agent workflow and summarise its outcomes."""

from __future__ import annotations

import argparse
import itertools
import os
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import otel_agents as oa
from otel_agents.analysis.tally import Tallies
from otel_agents.cli._console import make_console
from otel_agents.cli._outcome_table import outcome_table
from otel_agents.cli.demo_agents import run_demo
from otel_agents.env import DEFAULT_OUTCOME_LOG


class _SummarySink:
    """Collects every outcome for the closing table (the recent buffer is bounded)."""

    def __init__(self) -> None:
        self.summary = Tallies()

    def export_events(self, events: Any) -> None:
        self.summary.add_all(events)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    def shutdown(self) -> None:
        return None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run a simulated multi-agent workflow and print per-agent outcomes",
        description=(
            "Runs planner → researcher (tools) → writer → evaluator workflows with "
            "simulated failures, timeouts, retries and token usage. Outcomes go to the "
            "local outcome log by default, to Kafka when OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS "
            "is set, and spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set."
        ),
    )
    parser.add_argument("--runs", type=int, default=20, help="workflow runs (default 20)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--speed", type=float, default=1.0, help="time scale; 2 = twice as fast")
    parser.add_argument("--loop", action="store_true", help="repeat forever (for a demo service)")
    parser.add_argument(
        "--service-name", default=None, help="service.name (default: env or otel-agents-demo)"
    )
    parser.add_argument("--outcome-log", default=None, help="outcome log path (embedded default)")
    parser.add_argument(
        "--kafka", default=None, metavar="BOOTSTRAP", help="Kafka bootstrap servers"
    )
    parser.add_argument("--otlp-endpoint", default=None, help="OTLP endpoint for spans")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise SystemExit("--runs must be 1 or more")
    console = make_console()
    sink = _SummarySink()
    kafka = args.kafka or os.environ.get("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS")
    # The summary sink must not switch off the embedded default log.
    outcome_log = args.outcome_log or (None if kafka else DEFAULT_OUTCOME_LOG)
    telemetry = oa.configure(
        service_name=args.service_name or os.environ.get("OTEL_SERVICE_NAME") or "otel-agents-demo",
        outcome_log=outcome_log,
        kafka_bootstrap_servers=args.kafka,
        otlp_endpoint=args.otlp_endpoint,
        sinks=[sink],
    )
    started = time.monotonic()
    failed = 0
    batches = itertools.count() if args.loop else range(1)
    for batch in batches:
        failed += _run_batch(args, console, seed=args.seed + batch)
    telemetry.force_flush()
    elapsed = time.monotonic() - started
    console.print(outcome_table(sink.summary, title=f"Agent outcomes — {args.runs} workflow runs"))
    destinations = []
    if telemetry.outcome_log is not None:
        destinations.append(f"outcome log {telemetry.outcome_log.path}")
    if telemetry.settings.kafka_bootstrap_servers:
        destinations.append(f"Kafka {telemetry.settings.kafka_bootstrap_servers}")
    if telemetry.settings.otlp_endpoint:
        destinations.append(f"OTLP {telemetry.settings.otlp_endpoint}")
    console.print(
        f"{sink.summary.events} outcome events in {elapsed:.1f}s, {failed} failed run(s); "
        f"sent to {', '.join(destinations) or 'memory only'}."
    )
    oa.shutdown()
    return 0


def _run_batch(args: argparse.Namespace, console: Console, seed: int) -> int:
    if args.quiet:
        return run_demo(args.runs, seed=seed, speed=args.speed)
    with Progress(
        TextColumn("[bold]research-report[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("runs", total=args.runs, last="")

        def on_run(index: int, error: BaseException | None) -> None:
            last = f"[red]run {index + 1} failed: {type(error).__name__}[/red]" if error else ""
            progress.update(task, advance=1, last=last)

        return run_demo(args.runs, seed=seed, speed=args.speed, on_run=on_run)
