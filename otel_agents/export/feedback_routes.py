"""Where FeedbackEvents go: the Kafka topic ``agent-feedback``, or the local feedback log.

The route follows the outcomes': Kafka when ``configure()`` (or, without it, the
environment) names bootstrap servers, else a JSON-lines file next to the outcome log.
Nothing here raises into the caller: a failed delivery is spooled beside the outcome
exporter's records (whose replay sends each record to its own topic) or counted and logged.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import orjson

from otel_agents import semconv
from otel_agents.env import DEFAULT_OUTCOME_LOG_PATH, Settings
from otel_agents.events.feedback import FeedbackEvent
from otel_agents.export._jsonl_file import JsonLinesFile

if TYPE_CHECKING:
    from otel_agents.export.kafka.exporter import KafkaOutcomeExporter

_logger = logging.getLogger("otel_agents")

ENV_FEEDBACK_TOPIC = "OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC"
ENV_FEEDBACK_LOG = "OTEL_AGENTS_FEEDBACK_LOG"
DEFAULT_FEEDBACK_TOPIC = "agent-feedback"
FEEDBACK_LOG_NAME = "feedback.jsonl"

_lock = threading.Lock()
_routes: dict[tuple[str, ...], _Route] = {}


class _Route(Protocol):
    def send(self, event: FeedbackEvent) -> None: ...

    def flush(self, timeout_s: float) -> bool: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


def feedback_log_path(outcome_log: str | os.PathLike[str] | None = None) -> Path:
    """The local feedback log: ``OTEL_AGENTS_FEEDBACK_LOG``, else beside the outcome log."""
    explicit = os.environ.get(ENV_FEEDBACK_LOG)
    if explicit:
        return Path(explicit)
    return Path(outcome_log or DEFAULT_OUTCOME_LOG_PATH).parent / FEEDBACK_LOG_NAME


def feedback_topic() -> str:
    return os.environ.get(ENV_FEEDBACK_TOPIC) or DEFAULT_FEEDBACK_TOPIC


def send(event: FeedbackEvent) -> None:
    """Send one FeedbackEvent on the current route (never raises for transport errors)."""
    route = current_route()
    try:
        route.send(event)
    except Exception:
        _logger.exception("otel-agents: could not send feedback via %s", route.describe())


def flush(timeout_s: float = 5.0) -> bool:
    """Wait for queued feedback to be delivered (the CLI calls this before exiting)."""
    with _lock:
        routes = list(_routes.values())
    return all([route.flush(timeout_s) for route in routes])


def close_routes(timeout_s: float = 2.0) -> None:
    """Flush and forget every route (tests, and a process that re-configures)."""
    with _lock:
        routes = list(_routes.values())
        _routes.clear()
    for route in routes:
        route.flush(timeout_s)
        route.close()


def current_route() -> _Route:
    from otel_agents.export.configure import get_telemetry

    telemetry = get_telemetry()
    exporter: KafkaOutcomeExporter | None = None
    if telemetry is not None:
        settings = telemetry.settings
        exporter = telemetry.kafka_exporter
    else:
        settings = Settings.from_env()
    if settings.kafka_bootstrap_servers:
        servers = settings.kafka_bootstrap_servers
        # The pid is part of the key: librdkafka is not fork-safe, so a forked child
        # builds a producer of its own rather than use its parent's.
        key: tuple[str, ...] = ("kafka", servers, feedback_topic(), str(os.getpid()))
    else:
        path = feedback_log_path(settings.outcome_log)
        key = ("log", str(path))
    with _lock:
        route = _routes.get(key)
        if route is None:
            if key[0] == "kafka":
                route = _KafkaRoute(key[1], key[2], exporter)
            else:
                route = _LogRoute(Path(key[1]))
            _routes[key] = route
        return route


class _LogRoute:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = JsonLinesFile(path, "feedback log")

    @property
    def written(self) -> int:
        return self._file.written

    @property
    def failed(self) -> int:
        return self._file.failed

    def send(self, event: FeedbackEvent) -> None:
        self._file.append(event.to_json_bytes() + b"\n", records=1)

    def flush(self, timeout_s: float) -> bool:
        return self._file.failed == 0

    def close(self) -> None:
        self._file.close()

    def describe(self) -> str:
        return str(self.path)


class _KafkaRoute:
    """A small producer core of our own: feedback is rare, and must not wait behind outcomes.

    It shares the outcome exporter's settings and spool when there is one, so replay
    delivers both; the rules for produce, failures and shutdown are the core's.
    """

    def __init__(self, servers: str, topic: str, exporter: KafkaOutcomeExporter | None) -> None:
        from otel_agents.export.kafka.producer import ProducerCore
        from otel_agents.export.kafka.settings import resolve_settings

        if exporter is not None:
            settings = exporter.settings
        else:
            settings = resolve_settings(
                bootstrap_servers=servers,
                topic=None,
                producer_config=None,
                spool_dir=None,
                spool_max_bytes=None,
                spool_fsync=None,
                shutdown_timeout_millis=None,
            )
        self._settings = settings
        self.topic = topic
        self._core = ProducerCore(
            settings,
            exporter.spool if exporter is not None else None,
            what="feedback",
            headers_of=_headers_of,
            config_overrides={
                "client.id": "otel-agents-feedback",
                # A person is waiting on the CLI; one record gains nothing from batching.
                "linger.ms": 5,
                # librdkafka logs each refused connection; error_cb already reports it
                # once, and a CLI or a live monitor screen must not be flooded.
                "log_level": 2,
            },
        )
        self._failed_at_flush = 0
        self._pid = os.getpid()
        atexit.register(self.flush, 3.0)

    @property
    def sent(self) -> int:
        return self._core.sent

    @property
    def failed(self) -> int:
        return self._core.failed

    @property
    def spooled(self) -> int:
        return self._core.spooled

    def send(self, event: FeedbackEvent) -> None:
        key = (event.trace_id or event.event_id).encode()
        self._core.produce(self.topic, event.to_json_bytes(), key, _headers(event))
        self._core.poll(0)

    def flush(self, timeout_s: float) -> bool:
        if os.getpid() != self._pid:
            return True  # a forked child does not own the parent's producer
        try:
            left = self._core.flush(timeout_s)
            if left:
                self._core.close(0)  # purges: purged records are spooled
            self._core.close_own_spool()
            failed = self._core.failed
            new_failures, self._failed_at_flush = failed - self._failed_at_flush, failed
            return left == 0 and new_failures == 0
        except Exception:
            _logger.exception("otel-agents: flushing feedback failed")
            return False

    def describe(self) -> str:
        return f"kafka {self._settings.bootstrap_servers} topic {self.topic}"

    def close(self) -> None:
        atexit.unregister(self.flush)
        with contextlib.suppress(Exception):
            self._core.producer.purge(in_queue=True, in_flight=True, blocking=False)
            self._core.poll(0)
        self._core.close_own_spool()


def _headers(event: FeedbackEvent) -> list[tuple[str, str | bytes | None]]:
    headers: list[tuple[str, str | bytes | None]] = [
        ("content-type", b"application/cloudevents+json; charset=UTF-8"),
        (semconv.HEADER_SCHEMA_VERSION, event.schema_version.encode()),
    ]
    if event.traceparent is not None:
        headers.insert(0, ("traceparent", event.traceparent.encode()))
    return headers


def _headers_of(value: bytes) -> list[tuple[str, str | bytes | None]]:
    # Delivery reports carry no headers: rebuild them from the record itself.
    try:
        return _headers(FeedbackEvent.from_dict(orjson.loads(value)))
    except Exception:
        return []
