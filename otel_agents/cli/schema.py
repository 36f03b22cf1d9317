"""``otel-agents schema``: print the published JSON Schemas."""

from __future__ import annotations

import argparse
import json
from typing import Any

from otel_agents.events.outcome import load_schema


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema", help="print the OutcomeEvent v1 (or FeedbackEvent v1) JSON Schema"
    )
    parser.add_argument(
        "--feedback", action="store_true", help="print the FeedbackEvent schema instead"
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.feedback:
        from otel_agents.events.feedback import load_feedback_schema

        print(json.dumps(load_feedback_schema(), indent=2))
    else:
        print(json.dumps(load_schema(), indent=2))
    return 0
