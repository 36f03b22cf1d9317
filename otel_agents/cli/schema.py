"""``otel-agents schema``: print the OutcomeEvent JSON Schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

from otel_agents.event import load_schema


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("schema", help="print the OutcomeEvent v1 JSON Schema")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    print(json.dumps(load_schema(), indent=2))
    return 0
