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
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson

# From cimpl, not ``confluent_kafka``: the confluent-kafka instrumentation replaces the
# package-level Producer, and an exporter that traced its own sends would loop forever.
from confluent_kafka.cimpl import KafkaError, KafkaException, Message, Producer
from opentelemetry import metrics
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agents.errors import ConfigurationError
from otel_agents.event import SCHEMA_VERSION, OutcomeEvent, events_from_spans
from otel_agents.exporters._producer_config import KafkaSettings, resolve_settings
from otel_agents.spool import Segment, Spool, SpoolRecord

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

__all__ = ["KafkaExporterStats", "KafkaOutcomeExporter"]

_log = logging.getLogger(__name__)
_LIBRDKAFKA_LOG = logging.getLogger("otel_agents.librdkafka")

CONTENT_TYPE: Final = b"application/cloudevents+json; charset=UTF-8"
_SCHEMA_VERSION_BYTES: Final = SCHEMA_VERSION.encode()
# Room for key, headers and record framing inside message.max.bytes.
_RECORD_OVERHEAD: Final = 1024
_POLL_INTERVAL_S: Final = 0.1
_REPLAY_CHECK_S: Final = 1.0
_REPLAY_BACKOFF_MAX_S: Final = 15.0
# librdkafka errors that a retry cannot fix: the record goes to the rejected folder.
_PERMANENT: Final = frozenset({KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_MSG_SIZE})
# Producers abandoned in a forked child: destroying them there could hang on threads
# that did not survive the fork, so they are kept referenced and never touched.
_ABANDONED: list[Producer] = []
_Headers = list[tuple[str, str | bytes | None]]
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
        self._producer = self._new_producer()  # also validates the librdkafka properties
        s = self.settings
        self._spool = Spool(s.spool_dir, s.spool_max_bytes, s.spool_fsync)
        self._rejected = Spool(s.spool_dir / "rejected", s.spool_max_bytes, s.spool_fsync)
        #: Set by configure() when its outcome processor sends the events through us.
        self.fed_by_processor = False
        self._init_process_state()
        self._register_metrics(meter_provider)
        _EXPORTERS.add(self)

    # --- set-up ------------------------------------------------------------------------
    def _new_producer(self) -> Producer:
        config: dict[str, Any] = dict(self.settings.producer_config)
        config["error_cb"] = self._on_error
        # librdkafka writes to stderr by default; an app's logging config should decide.
        config.setdefault("logger", _LIBRDKAFKA_LOG)
        try:
            return Producer(config)
        except (KafkaException, ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"invalid Kafka producer configuration: {exc}; check producer_config, "
                "OTEL_AGENTS_KAFKA_PRODUCER_CONFIG and OTEL_AGENTS_KAFKA_PRODUCER_* "
                "(librdkafka property names, e.g. security.protocol)"
            ) from None

    def _init_process_state(self) -> None:
        """Everything that belongs to one process (re-done in a forked child)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._is_shut_down = False
        self._broker_up = False
        self._sent = self._failed = self._spooled = self._replayed = self._lost = 0
        self._rejected_count = 0
        self._latencies: deque[float] = deque(maxlen=8192)
        self._next_replay = 0.0
        self._replay_backoff = 1.0
        self._warned_down = False
        self._producer_fatal = False

    def _after_fork_in_child(self) -> None:
        _ABANDONED.append(self._producer)
        was_shut_down = self._is_shut_down
        self._init_process_state()
        self._spool.after_fork_in_child()
        self._rejected.after_fork_in_child()
        if was_shut_down:  # stays shut down (late events still go to the spool)
            self._is_shut_down = True
            return
        try:
            self._producer = self._new_producer()
        except ConfigurationError:  # cannot happen: the parent built one from the same config
            _log.exception("otel-agents: could not recreate the Kafka producer after fork")

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
                self._spool_value(self._serialise(event), event.trace_id.encode())
            return
        self._ensure_thread()
        for event in events:
            try:
                self._produce_event(event)
            except Exception:  # never into the caller; the event is counted, not hidden
                _log.exception("otel-agents: could not export OutcomeEvent")
                with self._lock:
                    self._failed += 1
                    self._lost += 1
        self._producer.poll(0)

    def _produce_event(self, event: OutcomeEvent) -> None:
        value = self._serialise(event)
        if not value:
            return
        key = event.trace_id.encode()
        headers = _headers(event.traceparent.encode())
        producer = self._producer
        try:
            producer.produce(self.topic, value, key, headers=headers, on_delivery=self._on_delivery)
        except BufferError:
            # Local queue full: serve delivery reports once to make room, then spool.
            producer.poll(0)
            try:
                producer.produce(
                    self.topic, value, key, headers=headers, on_delivery=self._on_delivery
                )
            except BufferError:
                self._fail_to_spool(value, key)
            except Exception as exc:
                self._produce_error(exc, event, value, key)
        except Exception as exc:
            self._produce_error(exc, event, value, key)

    def _serialise(self, event: OutcomeEvent) -> bytes:
        try:
            return event.to_json_bytes(max_bytes=self._max_value_bytes)
        except Exception:  # the event model promises not to raise; belt and braces
            _log.exception("otel-agents: could not serialise OutcomeEvent %s", event.event_id)
            with self._lock:
                self._failed += 1
                self._lost += 1
            return b""

    def _produce_error(self, exc: Exception, event: OutcomeEvent, value: bytes, key: bytes) -> None:
        code = exc.args[0].code() if exc.args and isinstance(exc.args[0], KafkaError) else None
        if code in _PERMANENT:
            # Truncation aims at message.max.bytes; the broker or topic may allow less.
            smaller = event.to_json_bytes(max_bytes=self._max_value_bytes // 4)
            try:
                self._producer.produce(
                    self.topic,
                    smaller,
                    key,
                    headers=_headers(event.traceparent.encode()),
                    on_delivery=self._on_delivery,
                )
                return
            except Exception:
                self._reject(smaller, key)
                return
        _log.debug("otel-agents: produce failed (%s); spooling", exc)
        self._fail_to_spool(value, key)

    # --- delivery reports (on whichever thread polls) -----------------------------------
    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            latency = msg.latency()
            with self._lock:
                self._sent += 1
                self._broker_up = True
                if latency is not None:
                    self._latencies.append(latency)
            if latency is not None:
                self._latency_histogram.record(latency)
            return
        value, key = msg.value(), msg.key()
        if value is None:
            return
        if err.code() in _PERMANENT:
            self._retry_smaller(value, key)
        else:
            self._fail_to_spool(value, key)

    def _retry_smaller(self, value: bytes, key: bytes | None) -> None:
        # The broker or topic allows less than message.max.bytes (e.g. a topic-level
        # max.message.bytes): cut the event to a quarter of what was refused, once.
        try:
            event = OutcomeEvent.from_json_bytes(value)
            smaller = event.to_json_bytes(max_bytes=max(1024, len(value) // 4))
            self._producer.produce(
                self.topic,
                smaller,
                key,
                headers=_headers(event.traceparent.encode()),
                on_delivery=self._on_delivery_after_retry,
            )
        except Exception:
            self._reject(value, key)

    def _on_delivery_after_retry(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None and err.code() in _PERMANENT:
            self._reject(msg.value() or b"", msg.key())
        else:
            self._on_delivery(err, msg)

    def _on_error(self, err: KafkaError) -> None:
        if err.fatal():
            # e.g. an idempotence failure: this producer will never deliver again.
            _log.error("otel-agents: fatal Kafka producer error (%s); recreating it", err.str())
            self._producer_fatal = True
            return
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self._broker_up = False
            if not self._warned_down:
                self._warned_down = True
                _log.warning(
                    "otel-agents: Kafka at %s is unreachable (%s); outcome events are kept "
                    "and will be delivered or spooled",
                    self.settings.bootstrap_servers,
                    err.str(),
                )

    def _fail_to_spool(self, value: bytes, key: bytes | None) -> None:
        with self._lock:
            self._failed += 1
        self._spool_value(value, key)

    def _spool_value(self, value: bytes, key: bytes | None) -> None:
        if not value:
            return
        if self._spool.append(SpoolRecord(self.topic, key, value, _spool_headers(value))):
            with self._lock:
                self._spooled += 1

    def _reject(self, value: bytes, key: bytes | None) -> None:
        with self._lock:
            self._failed += 1
            self._rejected_count += 1
        _log.error(
            "otel-agents: an OutcomeEvent of %d bytes is too large for the broker even after "
            "truncation; kept in %s (raise message.max.bytes on the topic or producer)",
            len(value),
            self._rejected.directory,
        )
        self._rejected.append(SpoolRecord(self.topic, key, value, _spool_headers(value)))

    # --- background thread -------------------------------------------------------------
    def _run(self) -> None:
        next_check = 0.0
        while not self._stop.is_set():
            try:
                self._producer.poll(_POLL_INTERVAL_S)
                if self._producer_fatal:
                    self._replace_fatal_producer()
                self._spool.maybe_sync()
                now = time.monotonic()
                if now >= next_check and now >= self._next_replay:
                    next_check = now + _REPLAY_CHECK_S
                    if self._spool.has_pending():
                        self._replay_spool()
            except Exception:
                _log.exception("otel-agents: Kafka exporter background error")
                self._stop.wait(1.0)

    def _replace_fatal_producer(self) -> None:
        self._producer_fatal = False
        old, self._producer = self._producer, self._new_producer()
        # Its undelivered records come back as _PURGE_* reports and are spooled.
        old.purge(in_queue=True, in_flight=True, blocking=False)
        old.flush(1.0)

    def _broker_answers(self) -> bool:
        if self._broker_up:
            return True
        try:
            return bool(self._producer.list_topics(timeout=1.0).brokers)
        except Exception:
            return False

    def _replay_spool(self) -> None:
        if not self._broker_answers():
            self._back_off()
            return
        self._spool.seal()
        ok = True
        for segment in self._spool.claim_segments():
            if self._stop.is_set():
                return
            ok = replay_segment(self._producer, segment, self._stop, self._count_replayed)
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
        with self._lock:
            self._replayed += n

    # --- lifecycle ---------------------------------------------------------------------
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Wait up to ``timeout_millis`` for queued events to be acknowledged."""
        try:
            remaining = self._producer.flush(timeout_millis / 1000)
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
            timeout = self.settings.shutdown_timeout_ms / 1000
            if self._producer.flush(timeout) > 0:
                self._producer.purge(in_queue=True, in_flight=True, blocking=False)
                # Serves the _PURGE_* delivery reports, which spool each purged record.
                self._producer.flush(1.0)
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
        with self._lock:
            lat = sorted(self._latencies)
            sent, failed, spooled = self._sent, self._failed, self._spooled
            replayed = self._replayed
            lost, rejected = self._lost, self._rejected_count
        try:
            queued = len(self._producer)
        except Exception:
            queued = 0

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 3) if lat else None

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
                    self._producer, segment, stop, self._count_replayed
                ):
                    break
        finally:
            timer.cancel()
        return self.stats().replayed - before

    @property
    def spool(self) -> Spool:
        return self._spool


def replay_segment(
    producer: Producer, segment: Segment, stop: threading.Event, on_replayed: Callable[[int], None]
) -> bool:
    """Produce every record of ``segment`` and delete it once all are acknowledged.

    Returns False (segment kept, to be tried again) if any record failed or ``stop`` was set.
    """
    state = {"outstanding": 0, "failed": 0, "acked": 0}
    lock = threading.Lock()

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        with lock:
            state["outstanding"] -= 1
            state["failed" if err is not None else "acked"] += 1

    for record in segment.records():
        while True:
            if stop.is_set():
                return False
            try:
                with lock:
                    state["outstanding"] += 1
                producer.produce(
                    record.topic,
                    record.value,
                    record.key,
                    headers=list(record.headers),
                    on_delivery=on_delivery,
                )
                break
            except BufferError:
                with lock:
                    state["outstanding"] -= 1
                producer.poll(0.05)
            except Exception:
                with lock:
                    state["outstanding"] -= 1
                    state["failed"] += 1
                break
        if state["failed"]:
            break
    while state["outstanding"] > 0 and not stop.is_set():
        producer.poll(0.1)
    on_replayed(state["acked"])
    if state["failed"] or state["outstanding"]:
        return False
    segment.done()
    return True


def _headers(traceparent: bytes) -> _Headers:
    return [
        ("traceparent", traceparent),
        ("content-type", CONTENT_TYPE),
        ("schema-version", _SCHEMA_VERSION_BYTES),
    ]


def _headers_from_value(value: bytes) -> _Headers:
    # Delivery reports carry no headers (confluent-kafka), so rebuild them from the event.
    try:
        traceparent = orjson.loads(value).get("traceparent") or ""
    except (orjson.JSONDecodeError, AttributeError):
        traceparent = ""
    return _headers(str(traceparent).encode())


def _spool_headers(value: bytes) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in _headers_from_value(value) if isinstance(v, bytes)]


def _after_fork_in_child() -> None:
    for exporter in list(_EXPORTERS):
        with contextlib.suppress(Exception):
            exporter._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
