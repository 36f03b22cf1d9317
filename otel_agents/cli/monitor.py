"""``otel-agents monitor``: watch agents act, think and learn, live in the terminal."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from otel_agents.env import DEFAULT_OUTCOME_LOG
from otel_agents.errors import ConfigurationError

_STATUSES = ("SUCCESS", "FAILURE", "PARTIAL", "TIMEOUT", "CANCELLED", "PENDING")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "monitor",
        help="live terminal dashboard of agent outcomes, thoughts, learning and feedback",
        description=(
            "Live dashboard over OutcomeEvents and FeedbackEvents, read from Kafka (when "
            "bootstrap servers are given or OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS is set) or "
            "from the local outcome log, followed as it grows."
        ),
    )
    source = parser.add_argument_group("source")
    source.add_argument("--bootstrap-servers", help="Kafka host:port[,host:port]")
    source.add_argument("--topic", help="outcome topic (default: agent-outcomes)")
    source.add_argument("--feedback-topic", help="feedback topic (default: agent-feedback)")
    source.add_argument("--group", help="consumer group (default: a new one per run)")
    source.add_argument(
        "--log", type=Path, help="follow this outcome log instead of Kafka (JSON lines)"
    )
    source.add_argument("--feedback-log", type=Path, help="feedback log to follow with --log")
    source.add_argument(
        "--from-beginning", action="store_true", help="read from the start, not from now"
    )
    source.add_argument(
        "--from-analytics",
        action="store_true",
        help="show the windows `otel-agents analytics run` published on agent-metrics and "
        "agent-learning instead of recomputing them (Kafka only; falls back when absent)",
    )
    source.add_argument("--metrics-topic", default="agent-metrics", help="with --from-analytics")
    source.add_argument("--learning-topic", default="agent-learning", help="with --from-analytics")
    view = parser.add_argument_group("filters and view")
    view.add_argument("--agent", help="only this agent (agent name or action name)")
    view.add_argument("--workflow", help="only this workflow (name or id)")
    view.add_argument(
        "--outcome",
        metavar="STATUS[,STATUS]",
        help="only these outcome statuses, e.g. FAILURE,TIMEOUT (in-flight runs stay shown)",
    )
    view.add_argument(
        "--status",
        nargs="?",
        const="",
        metavar="STATUS",
        help="print a one-shot summary of what the source holds and exit "
        "(optionally only outcomes with STATUS)",
    )
    view.add_argument("--json", action="store_true", help="with --status: JSON for scripts")
    view.add_argument("--window", type=int, default=20, help="learning window (default 20)")
    view.add_argument(
        "--slow-after", type=float, default=30.0, help="flag runs longer than this (s)"
    )
    view.add_argument("--refresh", type=float, default=4.0, help="redraws per second")
    view.add_argument("--duration", type=float, help="exit after this many seconds")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from otel_agents.monitor.app import run_live, run_status
    from otel_agents.monitor.state import MonitorFilter, MonitorState

    one_shot = args.status is not None
    if args.from_analytics:
        code = _run_from_analytics(args, one_shot)
        if code is not None:
            return code
    try:
        statuses = _statuses(args.outcome, args.status)
        source = _source(args, snapshot=one_shot)
    except ConfigurationError as exc:
        print(f"otel-agents monitor: {exc}")
        return 2
    state = MonitorState(
        MonitorFilter(agent=args.agent, workflow=args.workflow, statuses=statuses),
        window=max(2, args.window),
        slow_after_s=args.slow_after,
    )
    if one_shot:
        return run_status(source, state, as_json=args.json)
    return run_live(source, state, refresh_per_second=args.refresh, duration_s=args.duration)


def _run_from_analytics(args: argparse.Namespace, one_shot: bool) -> int | None:
    """Show the analytics topics; None (after a note) when they cannot be read."""
    servers = args.bootstrap_servers or os.environ.get("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS")
    if not servers:
        print(
            "otel-agents monitor: --from-analytics needs Kafka; recomputing from the log",
            file=sys.stderr,
        )
        return None
    from confluent_kafka import KafkaException

    from otel_agents.monitor.analytics_view import AnalyticsView, run_from_analytics
    from otel_agents.monitor.kafka_source import KafkaSource

    topics = [args.metrics_topic, args.learning_topic]
    try:
        source = KafkaSource(
            servers, topics, group_id=args.group, snapshot=one_shot, from_beginning=True
        )
        present = set(source.existing_topics())
    except KafkaException as exc:
        print(f"otel-agents monitor: cannot read Kafka at {servers}: {exc}", file=sys.stderr)
        return 2
    if args.metrics_topic not in present:
        source.close()
        print(
            f"otel-agents monitor: no topic {args.metrics_topic} (is the analytics job "
            "running?); recomputing from the outcome topics",
            file=sys.stderr,
        )
        return None
    return run_from_analytics(
        source,
        AnalyticsView(),
        one_shot=one_shot,
        as_json=args.json,
        refresh_per_second=args.refresh,
        duration_s=args.duration,
    )


def _statuses(outcome: str | None, status: str | None) -> frozenset[str] | None:
    names = {s.strip().upper() for text in (outcome, status) if text for s in text.split(",")}
    names.discard("")
    unknown = names - set(_STATUSES)
    if unknown:
        raise ConfigurationError(
            f"unknown status {', '.join(sorted(unknown))}; use one of {', '.join(_STATUSES)}"
        )
    return frozenset(names) or None


def _source(args: argparse.Namespace, snapshot: bool) -> Any:
    servers = args.bootstrap_servers or os.environ.get("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS")
    if args.log is None and servers:
        from confluent_kafka import KafkaException

        from otel_agents.export.feedback_routes import feedback_topic
        from otel_agents.monitor.kafka_source import KafkaSource

        topics = [
            args.topic or os.environ.get("OTEL_AGENTS_KAFKA_TOPIC") or "agent-outcomes",
            args.feedback_topic or feedback_topic(),
        ]
        try:
            return KafkaSource(
                servers,
                topics,
                group_id=args.group,
                from_beginning=args.from_beginning,
                snapshot=snapshot,
            )
        except KafkaException as exc:
            raise ConfigurationError(f"cannot read Kafka at {servers}: {exc}") from None
    from otel_agents.export.feedback_routes import feedback_log_path
    from otel_agents.monitor.file_source import FileSource

    env_log = os.environ.get("OTEL_AGENTS_OUTCOME_LOG")
    log = args.log or (Path(env_log) if env_log else DEFAULT_OUTCOME_LOG)
    feedback = args.feedback_log or feedback_log_path(log)
    return FileSource([log, feedback], from_beginning=args.from_beginning or snapshot)
