"""``otel-agents doctor``: which presets and patterns would wrap which classes here."""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="show which auto-instrumentation presets and patterns match installed classes",
    )
    parser.add_argument(
        "--targets",
        default=None,
        help="patterns to check (default: OTEL_AGENTS_TARGETS, else preset:auto)",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from otel_agents.auto.doctor import report
    from otel_agents.auto.targets import TARGETS_ENV

    targets = args.targets or os.environ.get(TARGETS_ENV, "").strip() or "preset:auto"
    for line in report(targets):
        print(line)
    return 0
