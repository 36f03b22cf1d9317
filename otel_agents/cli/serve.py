"""``otel-agents serve``: REST, WebSocket and a live page over the monitor's sources."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

from otel_agents.errors import ConfigurationError


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve a live feed for frontends: REST API, WebSocket /ws and a page at /",
        description=(
            "Reads OutcomeEvents and FeedbackEvents like `otel-agents monitor` (Kafka when "
            "bootstrap servers are given or OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS is set, else "
            "the local logs) and serves them: REST under /api/v1 (OpenAPI at /openapi.json), "
            "WebSocket /ws, and a live page at /. Listens on 127.0.0.1 unless told otherwise; "
            "set OTEL_AGENTS_SERVE_TOKEN to require a bearer token. Needs the [serve] extra."
        ),
    )
    source = parser.add_argument_group("source (as otel-agents monitor)")
    source.add_argument("--bootstrap-servers", help="Kafka host:port[,host:port]")
    source.add_argument("--topic", help="outcome topic (default: agent-outcomes)")
    source.add_argument("--feedback-topic", help="feedback topic (default: agent-feedback)")
    source.add_argument(
        "--group", help="consumer group (default: a new one per process: each replica sees all)"
    )
    source.add_argument("--log", type=Path, help="follow this outcome log instead of Kafka")
    source.add_argument("--feedback-log", type=Path, help="feedback log to follow with --log")
    source.add_argument(
        "--from-now",
        action="store_true",
        help="skip what the source holds at start (default: read it, so figures cover it)",
    )
    source.add_argument(
        "--from-analytics",
        action="store_true",
        help="also serve the windows `otel-agents analytics run` published on agent-metrics "
        "and agent-learning at /api/v1/analytics (Kafka only; noted and skipped when absent)",
    )
    source.add_argument("--metrics-topic", default="agent-metrics", help="with --from-analytics")
    source.add_argument("--learning-topic", default="agent-learning", help="with --from-analytics")
    server = parser.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    server.add_argument("--window", type=int, default=20, help="learning window (default 20)")
    server.add_argument("--heartbeat", type=float, help="seconds between heartbeats (default 15)")
    server.add_argument("--log-level", default="warning", help="uvicorn log level")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from otel_agents.serve import ServeSettings, create_app
    except ImportError as exc:
        print(f"otel-agents serve: {exc.name} is missing; pip install 'otel-agents[serve]'")
        return 2
    from otel_agents.cli.monitor import _source
    from otel_agents.monitor.state import MonitorState

    try:
        settings = ServeSettings.from_env(
            host=args.host, port=args.port, heartbeat_s=args.heartbeat
        )
        _route_feedback_like_the_source(args)
        args.from_beginning = not args.from_now
        source = _source(args, snapshot=False)
    except ConfigurationError as exc:
        print(f"otel-agents serve: {exc}")
        return 2
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"otel-agents serve: warning: listening on {settings.host}, not loopback"
            + ("" if settings.token else " and with no OTEL_AGENTS_SERVE_TOKEN"),
            file=sys.stderr,
        )
    analytics = _analytics(args) if args.from_analytics else None
    app = create_app(
        source, settings, state=MonitorState(window=max(2, args.window)), analytics=analytics
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        # The websockets (sans-I/O) implementation waits for the socket to drain (a slow client
        # blocks only its own writer) and enforces the message size limit.
        ws="websockets-sansio",
        ws_max_size=settings.max_body_bytes,
        # Each client's frames would be compressed separately: the same bytes N times over.
        ws_per_message_deflate=False,
        proxy_headers=False,
        server_header=False,
        access_log=False,
    )
    try:
        sock = _bind(settings.host, settings.port)
    except ConfigurationError as exc:
        source.close()
        if analytics is not None:
            analytics.source.close()
        print(f"otel-agents serve: {exc}")
        return 2
    host, port = sock.getsockname()[:2]
    auth = "bearer token required" if settings.token else "no token"
    print(f"otel-agents serve: http://{host}:{port}/ ({source.describe()}; {auth})", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _analytics(args: argparse.Namespace) -> Any:
    """A feed over the analytics topics, or None (said once on stderr) when they are absent."""
    servers = args.bootstrap_servers or os.environ.get("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS")
    if args.log is not None or not servers:
        print(
            "otel-agents serve: --from-analytics needs Kafka; figures are recomputed as usual",
            file=sys.stderr,
        )
        return None
    from confluent_kafka import KafkaException

    from otel_agents.monitor.kafka_source import KafkaSource
    from otel_agents.serve.analytics import AnalyticsFeed

    try:
        source = KafkaSource(
            servers, [args.metrics_topic, args.learning_topic], from_beginning=True
        )
        present = set(source.existing_topics())
    except KafkaException as exc:
        print(f"otel-agents serve: cannot read the analytics topics: {exc}", file=sys.stderr)
        return None
    if args.metrics_topic not in present:
        source.close()
        print(
            f"otel-agents serve: no topic {args.metrics_topic} (is the analytics job "
            "running?); figures are recomputed as usual, /api/v1/analytics answers 404",
            file=sys.stderr,
        )
        return None
    return AnalyticsFeed(source)


def _route_feedback_like_the_source(args: argparse.Namespace) -> None:
    """POSTed feedback goes where the feed reads it back: the same broker or log."""
    from otel_agents.export import feedback_routes

    servers = args.bootstrap_servers or os.environ.get("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS")
    if args.log is None and servers:
        os.environ["OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS"] = servers
        if args.feedback_topic:
            os.environ[feedback_routes.ENV_FEEDBACK_TOPIC] = args.feedback_topic
        return
    os.environ.pop("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", None)
    if args.feedback_log is not None:
        os.environ[feedback_routes.ENV_FEEDBACK_LOG] = str(args.feedback_log)
    elif args.log is not None:
        os.environ[feedback_routes.ENV_FEEDBACK_LOG] = str(
            feedback_routes.feedback_log_path(args.log)
        )


def _bind(host: str, port: int) -> socket.socket:
    """Bind before serving, so the URL printed names the real port (also with --port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock
