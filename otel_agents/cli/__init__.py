"""The ``otel-agents`` command line: one module per subcommand.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``func`` (taking the parsed ``argparse.Namespace`` and returning an exit code):
``demo`` (with ``demo_agents``, the simulated workflow), ``status``, ``monitor``,
``feedback``, ``replay``, ``schema``, ``serve``, ``doctor``. ``_outcome_table`` renders the
tally as a rich table; ``_console`` makes the console.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Subcommand modules, imported lazily so `otel-agents schema` does not pay for Kafka.
_SUBCOMMANDS: tuple[str, ...] = (
    "demo",
    "schema",
    "status",
    "replay",
    "monitor",  # issue 6
    "feedback",  # issue 6
    "serve",  # issue 12
    "doctor",
    "analytics",  # issue 14
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otel-agents",
        description="OpenTelemetry instrumentation and outcome streaming for AI agents.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _SUBCOMMANDS:
        module = importlib.import_module(f"otel_agents.cli.{module_name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`otel-agents status --json log | head`): not an error of
        # ours. Point stdout at /dev/null so the interpreter's final flush is quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
