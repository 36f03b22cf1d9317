"""``KafkaOutcomeExporter``: OutcomeEvents to a Kafka topic, with a durable spool behind it.

It is both an OpenTelemetry ``SpanExporter`` (``OTEL_TRACES_EXPORTER=otlp,kafka_outcomes``:
outcome spans among the exported ones are converted and sent) and an ``OutcomeSink`` for
``OutcomeSpanProcessor`` (``export_events``), which sees every *recorded* outcome span.

Nothing here blocks or raises into the application: ``produce()`` only enqueues; a
background thread serves delivery reports, moves failed records to the spool and replays
the spool, oldest first, once the broker answers again. Shutdown flushes for a bounded time,
then purges and spools what is left.

    exporter = KafkaOutcomeExporter(bootstrap_servers="127.0.0.1:9092")
    exporter.export_events([event])          # OutcomeEvent -> topic "agent-outcomes"
    exporter.shutdown()                      # at most shutdown_timeout_millis, then spool
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import orjson
from opentelemetry import metrics
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agents.events.outcome import SCHEMA_VERSION, OutcomeEvent, events_from_spans
from otel_agents.export.kafka.producer import Headers, ProducerCore
from otel_agents.export.kafka.replay import replay_segment
from otel_agents.export.kafka.settings import KafkaSettings, resolve_settings
from otel_agents.export.kafka.spool import Spool
from otel_agents.percentile import percentile

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

__all__ = ["KafkaExporterStats", "KafkaOutcomeExporter"]

_log = logging.getLogger(__name__)

CONTENT_TYPE: Final = b"application/cloudevents+json; charset=UTF-8"
_SCHEMA_VERSION_BYTES: Final = SCHEMA_VERSION.encode()
# Room for key, headers and record framing inside message.max.bytes.
_RECORD_OVERHEAD: Final = 1024
_POLL_INTERVAL_S: Final = 0.1
_REPLAY_CHECK_S: Final = 1.0
_REPLAY_BACKOFF_MAX_S: Final = 15.0
_EXPORTERS: weakref.WeakSet[KafkaOutcomeExporter] = weakref.WeakSet()


@dataclass(frozen=True)
class KafkaExporterStats:
    """Counters of one exporter in this process (also exported as OTel metrics).

    >>> s = exporter.stats()
    >>> s.sent, s.spooled, s.dropped
    (1000, 0, 0)
    """

    sent: int
    failed: int
    spooled: int
    replayed: int
    dropped: int
    rejected: int
    queued: int
    spool_bytes: int
    delivery_latency_p50_ms: float | None
    delivery_latency_p99_ms: float | None


class KafkaOutcomeExporter(SpanExporter):
    """Produces OutcomeEvent v1 JSON (CloudEvents structured mode) to a Kafka topic.

    Record key = trace id (hex), so a trace's events share a partition; headers carry
    ``traceparent``, ``content-type`` and ``schema-version``. Any argument left ``None`` is
    read from its ``OTEL_AGENTS_KAFKA_*`` variable, else a default (see docs/kafka.md).

    >>> exporter = KafkaOutcomeExporter(bootstrap_servers="127.0.0.1:9092", topic="outcomes")
    >>> provider.add_span_processor(BatchSpanProcessor(exporter))   # or configure(...)
    """

    def __init__(
        self,
        bootstrap_servers: str | None = None,
        topic: str | None = None,
        producer_config: Mapping[str, str | int | float | bool] | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
        spool_max_bytes: int | str | None = None,
        *,
        spool_fsync: str | None = None,
        shutdown_timeout_millis: int | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self.settings: KafkaSettings = resolve_settings(
            bootstrap_servers=bootstrap_servers,
            topic=topic,
            producer_config=producer_config,
            spool_dir=spool_dir,
            spool_max_bytes=spool_max_bytes,
            spool_fsync=spool_fsync,
            shutdown_timeout_millis=shutdown_timeout_millis,
        )
        self.topic = self.settings.topic
        self._max_value_bytes = max(1024, self.settings.max_message_bytes - _RECORD_OVERHEAD)
        s = self.settings
        self._spool = Spool(s.spool_dir, s.spool_max_bytes, s.spool_fsync)
        self._rejected = Spool(s.spool_dir / "rejected", s.spool_max_bytes, s.spool_fsync)
        #: Set by configure() when its outcome processor sends the events through us.
        self.fed_by_processor = False
        self._register_metrics(meter_provider)
        # Building the core validates the librdkafka properties.
        self._core = ProducerCore(
            s,
            self._spool,
            what="outcome events",
            headers_of=_headers_from_value,
            rejected=self._rejected,
            shrink=_shrink_event,
            on_delivered=self._record_latency,
        )
        self._init_process_state()
        _EXPORTERS.add(self)

    # --- set-up ------------------------------------------------------------------------
    def _init_process_state(self) -> None:
        """Everything that belongs to one process (re-done in a forked child)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._is_shut_down = False
        self._replayed = 0
        self._next_replay = 0.0
        self._replay_backoff = 1.0

    def _after_fork_in_child(self) -> None:
        was_shut_down = self._is_shut_down
        self._init_process_state()
        self._spool.after_fork_in_child()
        self._rejected.after_fork_in_child()
        # A shut-down exporter stays shut down (late events still go to the spool).
        self._core.after_fork_in_child(rebuild=not was_shut_down)
        self._is_shut_down = was_shut_down

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._is_shut_down:
                    self._thread = threading.Thread(
                        target=self._run, name="otel-agents-kafka", daemon=True
                    )
                    self._thread.start()

    def _register_metrics(self, meter_provider: MeterProvider | None) -> None:
        meter = metrics.get_meter("otel_agents.exporters.kafka", meter_provider=meter_provider)
        ref = weakref.ref(self)

        def observe(_options: CallbackOptions) -> list[Observation]:
            exporter = ref()
            if exporter is None:
                return []
            s = exporter.stats()
            return [
                metrics.Observation(value, {"otel_agents.kafka.result": name})
                for name, value in (
                    ("sent", s.sent),
                    ("failed", s.failed),
                    ("spooled", s.spooled),
                    ("replayed", s.replayed),
                    ("dropped", s.dropped),
                    ("rejected", s.rejected),
                )
            ]

        meter.create_observable_counter(
            "otel_agents.kafka.events",
            callbacks=[observe],
            unit="{event}",
            description="OutcomeEvents by result: sent, failed, spooled, replayed, dropped",
        )
        self._latency_histogram = meter.create_histogram(
            "otel_agents.kafka.delivery.duration",
            unit="s",
            description="Time from produce() to the broker's acknowledgement",
        )

    # --- SpanExporter ------------------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Send the outcome spans among ``spans``; other spans are ignored."""
        if self.fed_by_processor:
            # configure() feeds this exporter its events (one producer, one event per
            # span): span batches from the SDK's processor would send each event twice.
            return SpanExportResult.SUCCESS
        try:
            events = events_from_spans(spans)
        except Exception:  # never raise into the SDK's export thread
            _log.exception("otel-agents: could not convert spans to OutcomeEvents")
            return SpanExportResult.FAILURE
        self.export_events(events)
        # Delivery is ours from here (retries, spool): the SDK has nothing left to retry.
        return SpanExportResult.SUCCESS

    # --- OutcomeSink -------------------------------------------------------------------
    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        """Enqueue events for delivery; never blocks on the broker, never raises."""
        if not events:
            return
        if self._is_shut_down:
            # Late events (e.g. flushed by another processor after us) go straight to the
            # spool: the next process replays them.
            for event in events:
                self._core.spool_value(self.topic, self._serialise(event), event.trace_id.encode())
            return
        self._ensure_thread()
        for event in events:
            try:
                self._produce_event(event)
            except Exception:  # never into the caller; the event is counted, not hidden
                _log.exception("otel-agents: could not export OutcomeEvent")
                with self._core.lock:
                    self._core.failed += 1
                    self._core.lost += 1
        self._core.poll(0)

    def _produce_event(self, event: OutcomeEvent) -> None:
        value = self._serialise(event)
        if value:
            key = event.trace_id.encode()
            self._core.produce(self.topic, value, key, _headers(event.traceparent.encode()))

    def _serialise(self, event: OutcomeEvent) -> bytes:
        try:
            return event.to_json_bytes(max_bytes=self._max_value_bytes)
        except Exception:  # the event model promises not to raise; belt and braces
            _log.exception("otel-agents: could not serialise OutcomeEvent %s", event.event_id)
            with self._core.lock:
                self._core.failed += 1
                self._core.lost += 1
            return b""

    def _record_latency(self, latency: float | None) -> None:
        if latency is not None:
            self._latency_histogram.record(latency)

    # --- background thread -------------------------------------------------------------
    def _run(self) -> None:
        next_check = 0.0
        while not self._stop.is_set():
            try:
                self._core.poll(_POLL_INTERVAL_S)
                self._spool.maybe_sync()
                now = time.monotonic()
                if now >= next_check and now >= self._next_replay:
                    next_check = now + _REPLAY_CHECK_S
                    if self._spool.has_pending():
                        self._replay_spool()
            except Exception:
                _log.exception("otel-agents: Kafka exporter background error")
                self._stop.wait(1.0)

    def _replay_spool(self) -> None:
        if not self._core.broker_answers():
            self._back_off()
            return
        self._spool.seal()
        ok = True
        for segment in self._spool.claim_segments():
            if self._stop.is_set():
                return
            ok = replay_segment(self._core.producer, segment, self._stop, self._count_replayed)
            if not ok:
                break
        if ok:
            self._replay_backoff = 1.0
            self._next_replay = 0.0
        else:
            self._back_off()

    def _back_off(self) -> None:
        self._next_replay = time.monotonic() + self._replay_backoff
        self._replay_backoff = min(self._replay_backoff * 2, _REPLAY_BACKOFF_MAX_S)

    def _count_replayed(self, n: int) -> None:
        with self._core.lock:
            self._replayed += n

    # --- lifecycle ---------------------------------------------------------------------
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Wait up to ``timeout_millis`` for queued events to be acknowledged."""
        try:
            remaining = self._core.flush(timeout_millis / 1000)
            self._spool.maybe_sync()
            return remaining == 0
        except Exception:
            _log.exception("otel-agents: Kafka flush failed")
            return False

    def shutdown(self) -> None:
        """Flush for at most ``shutdown_timeout_millis``, then spool whatever is left.

        Never calls ``Producer.close()``, which waits for ``message.timeout.ms`` when no
        broker answers.
        """
        if self._is_shut_down:
            return
        self._is_shut_down = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        try:
            self._core.close(self.settings.shutdown_timeout_ms / 1000)
        except Exception:
            _log.exception("otel-agents: error while shutting down the Kafka exporter")
        finally:
            self._spool.close()
            self._rejected.close()

    def stats(self) -> KafkaExporterStats:
        """A snapshot of this exporter's counters.

        >>> exporter.stats().dropped
        0
        """
        core = self._core
        with core.lock:
            latencies_ms = [latency * 1000 for latency in core.latencies]
            sent, failed, spooled = core.sent, core.failed, core.spooled
            replayed = self._replayed
            lost, rejected = core.lost, core.rejected_count
        queued = core.queued()

        def pct(q: float) -> float | None:
            value = percentile(latencies_ms, q)
            return None if value is None else round(value, 3)

        return KafkaExporterStats(
            sent=sent,
            failed=failed,
            spooled=spooled,
            replayed=replayed,
            dropped=self._spool.dropped + self._rejected.dropped + lost,
            rejected=rejected,
            queued=queued,
            spool_bytes=self._spool.size_bytes,
            delivery_latency_p50_ms=pct(0.5),
            delivery_latency_p99_ms=pct(0.99),
        )

    def replay(self, timeout_s: float = 60.0) -> int:
        """Replay the spool now, oldest first; returns the number of records acknowledged.

        >>> KafkaOutcomeExporter(spool_dir="/var/lib/app/spool").replay(timeout_s=60)
        1200
        """
        before = self.stats().replayed
        deadline = time.monotonic() + timeout_s
        stop = threading.Event()
        timer = threading.Timer(timeout_s, stop.set)
        timer.daemon = True
        timer.start()
        try:
            self._spool.seal()
            for segment in self._spool.claim_segments():
                if time.monotonic() >= deadline or not replay_segment(
                    self._core.producer, segment, stop, self._count_replayed
                ):
                    break
        finally:
            timer.cancel()
        return self.stats().replayed - before

    @property
    def spool(self) -> Spool:
        return self._spool


def _headers(traceparent: bytes) -> Headers:
    return [
        ("traceparent", traceparent),
        ("content-type", CONTENT_TYPE),
        ("schema-version", _SCHEMA_VERSION_BYTES),
    ]


def _headers_from_value(value: bytes) -> Headers:
    # Delivery reports carry no headers (confluent-kafka), so rebuild them from the event.
    try:
        traceparent = orjson.loads(value).get("traceparent") or ""
    except (orjson.JSONDecodeError, AttributeError):
        traceparent = ""
    return _headers(str(traceparent).encode())


def _shrink_event(value: bytes, max_bytes: int) -> bytes | None:
    # The broker or topic allows less than message.max.bytes (e.g. a topic-level
    # max.message.bytes): the event model truncates its own fields to fit.
    try:
        return OutcomeEvent.from_json_bytes(value).to_json_bytes(max_bytes=max_bytes)
    except Exception:
        return None


def _after_fork_in_child() -> None:
    for exporter in list(_EXPORTERS):
        with contextlib.suppress(Exception):
            exporter._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
