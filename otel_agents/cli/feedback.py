"""``otel-agents feedback EVENT_ID --positive|--negative|--correction TEXT|--suggestion TEXT``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from otel_agents.env import DEFAULT_OUTCOME_LOG

#: How much of the local outcome log's end is searched for the judged event.
_LOOKUP_BYTES = 32 << 20


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "feedback",
        help="send feedback on an agent action (a FeedbackEvent)",
        description=(
            "Send a FeedbackEvent on the OutcomeEvent EVENT_ID: to the Kafka topic "
            "agent-feedback when Kafka is configured, else to the local feedback log."
        ),
    )
    parser.add_argument("event_id", metavar="EVENT_ID", help="OutcomeEvent id or traceparent")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--positive", action="store_true", help="the action was good")
    kind.add_argument("--negative", action="store_true", help="the action was bad")
    kind.add_argument("--correction", metavar="TEXT", help="what the right answer was")
    kind.add_argument("--suggestion", metavar="TEXT", help="how to do better")
    parser.add_argument("--comment", help="why (shown as the reason in learning summaries)")
    parser.add_argument("--score", type=float, help="a numeric score, e.g. 0.0-1.0")
    parser.add_argument("--user", help="who judged (default: $USER)")
    parser.add_argument("--agent", help="the judged agent, if the event is not found locally")
    parser.add_argument("--bootstrap-servers", help="Kafka host:port (default: env)")
    parser.add_argument("--log", type=Path, help="write to this feedback log instead of Kafka")
    parser.add_argument("--json", action="store_true", help="print the FeedbackEvent sent")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from otel_agents.events.outcome import OutcomeEvent
    from otel_agents.export import feedback_routes as _feedback_transport
    from otel_agents.export.feedback import build_feedback_event, publish

    if args.log is not None:
        os.environ.pop("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", None)
        os.environ[_feedback_transport.ENV_FEEDBACK_LOG] = str(args.log)
    elif args.bootstrap_servers:
        os.environ["OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS"] = args.bootstrap_servers
    if args.positive:
        kind, correction = "positive", None
    elif args.negative:
        kind, correction = "negative", None
    elif args.correction is not None:
        kind, correction = "correction", args.correction
    else:
        kind, correction = "suggestion", args.suggestion
    target: Any = args.event_id
    found = _find_outcome(args.event_id)
    if found is not None:
        target = OutcomeEvent.from_dict(found)
    try:
        event = build_feedback_event(
            target,
            kind,
            score=args.score,
            comment=args.comment,
            correction=correction,
            user=args.user or os.environ.get("USER"),
            agent=args.agent,
            origin="cli",
        )
    except ValueError as exc:
        print(f"otel-agents feedback: {exc}")
        return 2
    provider = _otlp_provider()
    publish(event)
    if provider is not None:
        provider.shutdown()  # sends the feedback span before the process exits
    delivered = _feedback_transport.flush(10.0)
    route = _feedback_transport.current_route().describe()
    if args.json:
        print(json.dumps(event.to_dict(), indent=2))
    else:
        agent = f" ({event.agent_name})" if event.agent_name else ""
        print(f"{event.kind} feedback on {event.event_id}{agent} -> {route}")
    if not delivered:
        print("otel-agents feedback: not delivered yet; kept in the spool for replay")
        return 1
    return 0


def _otlp_provider() -> Any:
    """With OTEL_EXPORTER_OTLP_ENDPOINT set, the feedback span goes there, as in an app."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from otel_agents._state import RUNTIME
    from otel_agents.env import Settings
    from otel_agents.export.configure import _otlp_exporter
    from otel_agents.export.otlp_signals import otlp_target

    settings = Settings.from_env()
    target = otlp_target("traces", settings.otlp_endpoint, settings.otlp_protocol, os.environ)
    if target is None:
        return None
    name = os.environ.get("OTEL_SERVICE_NAME") or "otel-agents-cli"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(target)))
    RUNTIME.use_tracer_provider(provider)
    return provider


def _find_outcome(event_id: str) -> dict[str, Any] | None:
    """The judged OutcomeEvent from the local outcome log, if it is there (newest first)."""
    env_log = os.environ.get("OTEL_AGENTS_OUTCOME_LOG")
    path = Path(env_log) if env_log else DEFAULT_OUTCOME_LOG
    needle = event_id.strip().encode()
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _LOOKUP_BYTES))
            tail = handle.read()
    except OSError:
        return None
    for line in reversed(tail.split(b"\n")):
        if needle in line:
            try:
                document = json.loads(line)
            except ValueError:
                continue
            data = document.get("data") if isinstance(document, dict) else None
            if isinstance(data, dict) and data.get("event_id") == event_id.strip():
                found: dict[str, Any] = document
                return found
    return None
