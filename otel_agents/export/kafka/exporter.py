"""``KafkaOutcomeExporter``: OutcomeEvents to a Kafka topic, with a durable spool behind it.

It is both an OpenTelemetry ``SpanExporter`` (``OTEL_TRACES_EXPORTER=otlp,kafka_outcomes``:
built by the SDK, it adds an outcome processor to the SDK's provider, so outcomes never
depend on the SDK's batch queue) and an ``OutcomeSink`` for ``OutcomeSpanProcessor``
(``export_events``), which sees every *recorded* outcome span.

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
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson
from opentelemetry import metrics
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_agents import _otel_private, semconv
from otel_agents.env import PROCESSOR_SETTINGS, settings_from_env
from otel_agents.events.outcome import SCHEMA_VERSION, OutcomeEvent, events_from_spans
from otel_agents.export.kafka.producer import Headers, ProducerCore
from otel_agents.export.kafka.replay import replay_segment
from otel_agents.export.kafka.settings import KafkaSettings, resolve_settings
from otel_agents.export.kafka.spool import Segment, Spool, SpoolRecord
from otel_agents.percentile import percentile

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

    from otel_agents.export.processor import OutcomeSpanProcessor

__all__ = ["KafkaExporterStats", "KafkaOutcomeExporter"]

_log = logging.getLogger(__name__)

CONTENT_TYPE: Final = b"application/cloudevents+json; charset=UTF-8"
_SCHEMA_VERSION_BYTES: Final = SCHEMA_VERSION.encode()
#: Header on a record kept in ``rejected/``: why Kafka refused it.
REJECT_REASON_HEADER: Final = "otel-agents-reject-reason"
# Room for key, headers and record framing inside message.max.bytes.
_RECORD_OVERHEAD: Final = 1024
#: The background thread serves delivery reports and upkeep this often. It sleeps in
#: between rather than in ``poll(timeout)``, which returns at every broker response:
#: under load the sink's own ``poll(0)`` after each batch serves most reports, and the
#: thread wakes 10 times a second instead of at every response.
_POLL_INTERVAL_S: Final = 0.1
_REPLAY_CHECK_S: Final = 1.0
#: With nothing in flight, the spool synced and the broker not down, the thread sleeps
#: until the next spool check (or until ``export_events`` produces again): each timer
#: wake-up costs ~0.15 ms of CPU on a virtual machine, 10 a second for nothing.
_IDLE_INTERVAL_S: Final = _REPLAY_CHECK_S
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
    #: Damaged stretches of spool segments skipped during replay (each logged, saved).
    damaged: int = 0


class KafkaOutcomeExporter(SpanExporter):
    """Produces OutcomeEvent v1 JSON (CloudEvents structured mode) to a Kafka topic.

    Record key = trace id (hex), so a trace's events share a partition; headers carry
    ``traceparent``, ``content-type`` and ``schemaversion``. Any argument left ``None`` is
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
        _argument_prefix: str = "",
    ) -> None:
        self.settings: KafkaSettings = resolve_settings(
            bootstrap_servers=bootstrap_servers,
            topic=topic,
            producer_config=producer_config,
            spool_dir=spool_dir,
            spool_max_bytes=spool_max_bytes,
            spool_fsync=spool_fsync,
            shutdown_timeout_millis=shutdown_timeout_millis,
            argument_prefix=_argument_prefix,
        )
        self.topic = self.settings.topic
        # The outcome processor this exporter may add (export()) takes the same
        # OTEL_AGENTS_* settings as configure()'s, read and checked now, at configuration.
        self._processor_settings = settings_from_env(PROCESSOR_SETTINGS)
        self._max_value_bytes = max(1024, self.settings.max_message_bytes - _RECORD_OVERHEAD)
        #: Leave each event's JSON on the event for other sinks (the outcome log) to reuse;
        #: configure() turns it off when this is the only sink that serialises events, so
        #: the bytes are freed once produced instead of held by ``oa.recent_events()``.
        self.share_json = True
        s = self.settings
        self._spool = Spool(s.spool_dir, s.spool_max_bytes, s.spool_fsync)
        self._rejected = Spool(s.spool_dir / "rejected", s.spool_max_bytes, s.spool_fsync)
        self._fed_by_processor = False
        self._register_metrics(meter_provider)
        # Building the core validates the librdkafka properties.
        self._core = ProducerCore(
            s,
            self._spool,
            what="outcome events",
            headers_of=_headers_from_value,
            rejected=self._rejected,
            shrink=_shrink_event,
            on_delivered=self._record_latencies,
        )
        # The outcome processor added next to an SDK batch processor (see export()); kept
        # across fork (the chain, and the processor in it, are copied into the child).
        self._routing: OutcomeSpanProcessor | Literal[False] | None = None
        self._routing_chain: object = None
        self._routing_since: int | None = None
        self._routing_dropped_before = 0
        self._init_process_state()
        _EXPORTERS.add(self)
        # Built by the SDK's own configuration (OTEL_TRACES_EXPORTER=kafka_outcomes): join
        # its provider now, before its batch processor exists, so not one outcome span
        # passes only through the batch queue (which drops silently when full).
        provider = _otel_private.provider_being_configured()
        if provider is not None:
            self._route_outcomes_through(provider)

    @property
    def fed_by_processor(self) -> bool:
        """Whether configure()'s outcome processor sends the events through this exporter.

        configure() sets it when it adopts the exporter the SDK built: span batches from
        the SDK's processor are then ignored, and the exporter's own outcome processor
        leaves the provider (configure()'s feeds every sink, this one included).
        """
        return self._fed_by_processor

    @fed_by_processor.setter
    def fed_by_processor(self, fed: bool) -> None:
        self._fed_by_processor = fed
        if fed:
            self._stop_routing()

    # --- set-up ------------------------------------------------------------------------
    def _init_process_state(self) -> None:
        """Everything that belongs to one process (re-done in a forked child)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tick = threading.Event()  # ends the background thread's sleep early
        self._idle = False  # the background thread sleeps the longer idle interval
        self._thread: threading.Thread | None = None
        self._is_shut_down = False
        self._replayed = self._damaged = 0
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
        latency_histogram = meter.create_histogram(
            "otel_agents.kafka.delivery.duration",
            unit="s",
            description="Time from produce() to the broker's acknowledgement",
        )
        # One value per delivered record: straight to the SDK's aggregation (~2.8 µs,
        # against ~5.5 µs through record() with no attributes).
        self._latency = _otel_private.DirectHistogram(latency_histogram, {})

    # --- SpanExporter ------------------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Send the outcome spans among ``spans``; other spans are ignored.

        Under the SDK's own configuration (``OTEL_TRACES_EXPORTER=kafka_outcomes``) the
        outcome processor joined the provider when this exporter was built, before the
        batch processor: every outcome reaches Kafka through it, and the batch processor's
        spans are ignored here. Under a ``BatchSpanProcessor(exporter)`` built in code,
        the first call adds the outcome processor to the span's provider: from then on a
        full batch-processor queue, which drops spans silently, can no longer lose them.
        """
        if self.fed_by_processor:
            # configure() feeds this exporter its events (one producer, one event per
            # span): span batches from the SDK's processor would send each event twice.
            return SpanExportResult.SUCCESS
        if self._routing is None and spans:
            self._route_outcomes_through(_otel_private.processor_chain_of(spans[0], self))
        cutoff = self._routing_since
        if cutoff is not None:
            # Ended after the outcome processor joined the chain: it has them already.
            spans = [span for span in spans if (span.end_time or 0) < cutoff]
        try:
            events = events_from_spans(spans, self._processor_settings["max_value_length"])
        except Exception:  # never raise into the SDK's export thread
            _log.exception("otel-agents: could not convert spans to OutcomeEvents")
            return SpanExportResult.FAILURE
        self.export_events(events)
        # Delivery is ours from here (retries, spool): the SDK has nothing left to retry.
        return SpanExportResult.SUCCESS

    def _routing_dropped(self) -> int:
        routing = self._routing
        return self._routing_dropped_before + (routing.dropped if routing else 0)

    def _route_outcomes_through(self, chain: Any) -> None:
        """Add an outcome processor feeding this exporter to ``chain`` (a provider)."""
        with self._lock:
            if self._routing is not None:
                return
            self._routing = False
            if chain is None or self._is_shut_down or self._fed_by_processor:
                return
            from otel_agents.export.processor import OutcomeSpanProcessor

            processor = OutcomeSpanProcessor([_ExporterLane(self)], **self._processor_settings)
            try:
                chain.add_span_processor(processor)
            except Exception:
                _log.exception("otel-agents: could not add the outcome processor")
                processor.shutdown()
                return
            # After joining: a span ending in between reaches both paths (the same
            # event_id twice, which consumers de-duplicate), never neither.
            self._routing_since = time.time_ns()
            self._routing = processor
            self._routing_chain = chain

    def _stop_routing(self) -> None:
        """Take our outcome processor out of the chain, after sending what it holds."""
        with self._lock:
            routing, chain = self._routing, self._routing_chain
            self._routing, self._routing_chain = False, None
        if not routing:
            return
        _otel_private.remove_span_processors(chain, [routing])
        routing.shutdown()  # drains into this exporter; the lane ignores the shutdown
        self._routing_dropped_before += routing.dropped

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
        # The hot path: one loop, everything it needs bound once per batch (this runs
        # once per outcome; a helper call or a lookup per event shows in the totals).
        core = self._core
        produce, on_delivery = core.producer.produce, core.on_delivery
        topic, max_bytes, keep = self.topic, self._max_value_bytes, self.share_json
        for event in events:
            try:
                value = event.to_json_bytes(max_bytes, keep)
                key, traceparent = event.key_and_traceparent()
                headers = _headers(traceparent)
            except Exception:  # the event model promises not to raise; counted, not hidden
                _log.exception("otel-agents: could not serialise an OutcomeEvent")
                with core.lock:
                    core.failed += 1
                    core.lost += 1
                continue
            try:
                produce(topic, value, key, headers=headers, on_delivery=on_delivery)
            except Exception as exc:  # a full queue, a record too large: never the caller's
                try:
                    core.produce_failed(exc, topic, value, key, headers)
                except Exception:
                    _log.exception("otel-agents: could not export OutcomeEvent")
                    with core.lock:
                        core.failed += 1
                        core.lost += 1
        core.poll(0)
        if self._idle:  # read after producing: see _sleep
            self._idle = False
            self._tick.set()

    def _serialise(self, event: OutcomeEvent) -> bytes:
        try:
            return event.to_json_bytes(max_bytes=self._max_value_bytes)
        except Exception:  # the event model promises not to raise; belt and braces
            _log.exception("otel-agents: could not serialise OutcomeEvent %s", event.event_id)
            with self._core.lock:
                self._core.failed += 1
                self._core.lost += 1
            return b""

    def _record_latencies(self, latencies: list[float]) -> None:
        record = self._latency.record
        for latency in latencies:
            record(latency)

    # --- background thread -------------------------------------------------------------
    def _run(self) -> None:
        next_check = 0.0
        while not self._stop.is_set():
            self._sleep()
            if self._stop.is_set():
                break
            try:
                self._core.poll(0)
                self._spool.maybe_sync()
                now = time.monotonic()
                if now >= next_check and now >= self._next_replay:
                    next_check = now + _REPLAY_CHECK_S
                    if self._spool.has_pending():
                        self._replay_spool()
            except Exception:
                _log.exception("otel-agents: Kafka exporter background error")
                self._stop.wait(1.0)

    def _sleep(self) -> None:
        """The poll interval while records are in flight, the spool is unsynced or the
        broker is down; else the idle interval, unless ``export_events`` produces first
        (it reads ``_idle`` after producing; this checks again after setting it)."""
        core, tick = self._core, self._tick
        interval = _POLL_INTERVAL_S
        if core.quiet() and not self._spool.unsynced:
            self._idle = True
            if core.quiet():
                interval = _IDLE_INTERVAL_S
            else:
                self._idle = False  # produced meanwhile: the short interval, no early wake
        tick.wait(interval)
        self._idle = False
        tick.clear()

    def _replay_spool(self) -> None:
        if not self._core.broker_answers():
            self._back_off()
            return
        self._spool.seal()
        ok = True
        for segment in self._spool.claim_segments():
            if self._stop.is_set():
                return
            ok = self._replay_one(segment, self._stop)
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

    def _replay_one(self, segment: Segment, stop: threading.Event) -> bool:
        ok = replay_segment(
            self._core.producer, segment, stop, self._count_replayed, self._reject_spooled
        )
        if segment.damaged:
            with self._core.lock:
                self._damaged += len(segment.damaged)
        return ok

    def _count_replayed(self, n: int) -> None:
        with self._core.lock:
            self._replayed += n

    def _reject_spooled(self, record: SpoolRecord, reason: str) -> None:
        """A spooled record the broker can never take: keep it aside, with the reason."""
        with self._core.lock:
            self._core.rejected_count += 1
        headers = [(k, v) for k, v in record.headers if k != REJECT_REASON_HEADER]
        headers.append((REJECT_REASON_HEADER, reason.encode()))
        kept = self._rejected.append(SpoolRecord(record.topic, record.key, record.value, headers))
        _log.error(
            "otel-agents: a spooled OutcomeEvent of %d bytes was refused by Kafka (%s); %s",
            len(record.value),
            reason,
            f"moved to {self._rejected.directory}" if kept else "it could not be kept",
        )

    # --- lifecycle ---------------------------------------------------------------------
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Wait up to ``timeout_millis`` for queued events to be acknowledged."""
        routing = self._routing
        if routing:
            routing.drain(time.monotonic() + timeout_millis / 1000)
        try:
            remaining = self._core.flush(timeout_millis / 1000)
            self._spool.maybe_sync()
            return remaining == 0
        except Exception:
            _log.exception("otel-agents: Kafka flush failed")
            return False

    @property
    def shutdown_budget_s(self) -> float:
        """What ``shutdown()`` may take: the flush bound, the thread's join, spooling."""
        return self.settings.shutdown_timeout_ms / 1000 + _SPOOL_AFTER_FLUSH_S

    def shutdown(self) -> None:
        """Flush for at most ``shutdown_timeout_millis``, then spool whatever is left.

        Never calls ``Producer.close()``, which waits for ``message.timeout.ms`` when no
        broker answers.
        """
        if self._is_shut_down:
            return
        routing = self._routing
        if routing:
            # The batch processor shuts us down first: take the outcome processor's last
            # spans while the producer still runs.
            routing.drain(time.monotonic() + 5)
        self._is_shut_down = True
        self._stop.set()
        self._tick.set()
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
        core.settle_acks()
        with core.lock:
            latencies_ms = [latency * 1000 for latency in core.latencies]
            sent, failed, spooled = core._sent, core.failed, core.spooled
            replayed = self._replayed
            lost, rejected, damaged = core.lost, core.rejected_count, self._damaged
        queued = core.queued()

        def pct(q: float) -> float | None:
            value = percentile(latencies_ms, q)
            return None if value is None else round(value, 3)

        return KafkaExporterStats(
            sent=sent,
            failed=failed,
            spooled=spooled,
            replayed=replayed,
            dropped=self._spool.dropped + self._rejected.dropped + lost + self._routing_dropped(),
            rejected=rejected,
            queued=queued,
            spool_bytes=self._spool.size_bytes,
            delivery_latency_p50_ms=pct(0.5),
            delivery_latency_p99_ms=pct(0.99),
            damaged=damaged,
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
                if time.monotonic() >= deadline or not self._replay_one(segment, stop):
                    break
        finally:
            timer.cancel()
        return self.stats().replayed - before

    @property
    def spool(self) -> Spool:
        return self._spool


#: Beyond the flush bound: joining the poll thread (2 s) and spooling what is left.
_SPOOL_AFTER_FLUSH_S = 3.0


_CONTENT_TYPE_HEADER: Final = ("content-type", CONTENT_TYPE)
_SCHEMA_VERSION_HEADER: Final = (semconv.HEADER_SCHEMA_VERSION, _SCHEMA_VERSION_BYTES)


def _headers(traceparent: bytes) -> Headers:
    return [("traceparent", traceparent), _CONTENT_TYPE_HEADER, _SCHEMA_VERSION_HEADER]


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


class _ExporterLane:
    """The exporter as seen by its own outcome processor: events in and flushes, no shutdown.

    The provider shuts that processor down before the batch processor that owns the
    exporter, and configure() may retire it: neither may shut the exporter down. Flushes
    go through (the SDK's batch processor never flushes its exporter).
    """

    def __init__(self, exporter: KafkaOutcomeExporter) -> None:
        self._exporter = exporter

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        self._exporter.export_events(events)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self) -> None:
        pass
