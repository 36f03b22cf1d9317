"""One producer core for every record otel-agents sends to Kafka (outcomes and feedback).

The rules live here once: build the librdkafka producer from our settings (a bad property
is a ``ConfigurationError`` now, not a failure later); ``produce`` never blocks or raises
(a full local queue is served once, then the record is spooled); failed deliveries are
spooled, records too large even after shrinking are kept aside as rejected; a fatal
producer is replaced; shutdown flushes for a bounded time, then purges and spools what is
left (never ``Producer.close()``, which waits out ``message.timeout.ms``); a forked child
builds its own producer (librdkafka is not fork-safe).

    core = ProducerCore(settings, spool, what="feedback")
    core.produce(topic, value, key, headers)
    core.close(timeout_s=2.0)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

# From cimpl, not ``confluent_kafka``: the confluent-kafka instrumentation replaces the
# package-level Producer, and a producer that traced its own sends would loop forever.
from confluent_kafka.cimpl import KafkaError, KafkaException, Message, Producer

from otel_agents.errors import ConfigurationError
from otel_agents.export.kafka.client_errors import SETTINGS_ERRORS, QuietRepeats, first_report
from otel_agents.export.kafka.settings import KafkaSettings
from otel_agents.export.kafka.spool import Spool, SpoolRecord

_log = logging.getLogger("otel_agents")
_LIBRDKAFKA_LOG = logging.getLogger("otel_agents.librdkafka")
_LIBRDKAFKA_LOG.addFilter(QuietRepeats())
#: How long "all brokers are down" must last before it is reported as the news.
_OUTAGE_GRACE_S: Final = 1.5

Headers = list[tuple[str, str | bytes | None]]
#: Builds a record's headers from its value (delivery reports carry no headers).
HeadersOf = Callable[[bytes], Headers]
#: Returns a smaller value for a record the broker refused as too large, or None.
Shrink = Callable[[bytes, int], bytes | None]

# librdkafka errors that a retry cannot fix: the record goes to the rejected folder.
PERMANENT: Final = frozenset({KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_MSG_SIZE})
# Producers abandoned in a forked child: destroying them there could hang on threads
# that did not survive the fork, so they are kept referenced and never touched.
_ABANDONED: list[Producer] = []


class ProducerCore:
    """A librdkafka producer that never blocks or raises into its caller, spool behind it."""

    def __init__(
        self,
        settings: KafkaSettings,
        spool: Spool | None,
        *,
        what: str,
        headers_of: HeadersOf,
        rejected: Spool | None = None,
        shrink: Shrink | None = None,
        config_overrides: Mapping[str, Any] | None = None,
        on_delivered: Callable[[list[float]], None] | None = None,
    ) -> None:
        self.settings = settings
        # Without a shared spool the core makes its own when a record first needs it, so
        # a process that never fails never creates the spool folder.
        self._spool = spool
        self._owns_spool = spool is None
        self.rejected = rejected
        self._what = what
        self._headers_of = headers_of
        self._shrink = shrink
        self._overrides = dict(config_overrides or {})
        self._on_delivered = on_delivered
        self.producer = self._new_producer()
        self.reset_counters()

    def reset_counters(self) -> None:
        """Counters of this process (a forked child starts from zero)."""
        self.lock = threading.Lock()
        self._sent = self.failed = self.spooled = self.rejected_count = self.lost = 0
        self.latencies: deque[float] = deque(maxlen=8192)
        # Latencies of acknowledged records (None when librdkafka has none), appended by
        # the delivery callback without a lock (deque.append is atomic) and counted in
        # bulk by settle_acks(): the per-record callback stays a single append.
        self._acked: deque[float | None] = deque()
        self.broker_up = False
        self._warned_down = False
        self._down_since: float | None = None
        self._down_reason = ""
        self._settings_problem = False
        self._fatal = False

    def _new_producer(self) -> Producer:
        config: dict[str, Any] = dict(self.settings.producer_config)
        config.update(self._overrides)
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

    # --- sending -----------------------------------------------------------------------
    def produce(self, topic: str, value: bytes, key: bytes | None, headers: Headers) -> None:
        """Enqueue one record; on a full queue serve reports once and retry, else spool."""
        try:
            self.producer.produce(topic, value, key, headers=headers, on_delivery=self.on_delivery)
        except Exception as exc:
            self.produce_failed(exc, topic, value, key, headers)

    def produce_failed(
        self, exc: Exception, topic: str, value: bytes, key: bytes | None, headers: Headers
    ) -> None:
        """What ``produce()`` does when librdkafka refused a record with ``exc``.

        For callers that call ``producer.produce(..., on_delivery=core.on_delivery)``
        themselves on their hot path: a full queue is served once and the record tried
        again, else it is spooled; a record too large is shrunk or kept aside.
        """
        if not isinstance(exc, BufferError):
            self._produce_error(exc, topic, value, key)
            return
        producer = self.producer
        producer.poll(0)
        try:
            producer.produce(topic, value, key, headers=headers, on_delivery=self.on_delivery)
        except BufferError:
            self.fail_to_spool(topic, value, key)
        except Exception as exc2:
            self._produce_error(exc2, topic, value, key)

    def _produce_error(self, exc: Exception, topic: str, value: bytes, key: bytes | None) -> None:
        code = exc.args[0].code() if exc.args and isinstance(exc.args[0], KafkaError) else None
        if code in PERMANENT:
            # Truncation aims at message.max.bytes; the broker or topic may allow less.
            self._retry_smaller(topic, value, key, self.on_delivery)
            return
        _log.debug("otel-agents: produce failed (%s); spooling", exc)
        self.fail_to_spool(topic, value, key)

    def _retry_smaller(
        self,
        topic: str,
        value: bytes,
        key: bytes | None,
        on_delivery: Callable[[KafkaError | None, Message], None],
    ) -> None:
        # Cut the record to a quarter of what was refused, once.
        smaller = self._shrink(value, max(1024, len(value) // 4)) if self._shrink else None
        if smaller is None:
            self.reject(topic, value, key)
            return
        try:
            self.producer.produce(
                topic, smaller, key, headers=self._headers_of(smaller), on_delivery=on_delivery
            )
        except Exception:
            self.reject(topic, smaller, key)

    # --- delivery reports (on whichever thread polls) ------------------------------------
    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        """Delivery report of one record (pass it as ``produce(on_delivery=...)``)."""
        if err is None:
            # One call per record: keep it to an append; settle_acks() does the counting.
            self._acked.append(msg.latency())
            return
        value, key, topic = msg.value(), msg.key(), msg.topic() or self.settings.topic
        if value is None:
            return
        if err.code() in PERMANENT:
            self._retry_smaller(topic, value, key, self._on_delivery_after_retry)
        else:
            self.fail_to_spool(topic, value, key)

    def settle_acks(self) -> None:
        """Count the acknowledgements the delivery callback collected since last time."""
        acked = self._acked
        if not acked:
            return
        with self.lock:
            pop = acked.popleft
            latencies = [pop() for _ in range(len(acked))]
            self._sent += len(latencies)
            self.broker_up = True
            self._down_since = None
            measured = [latency for latency in latencies if latency is not None]
            self.latencies.extend(measured)
        if self._on_delivered is not None and measured:
            self._on_delivered(measured)

    @property
    def sent(self) -> int:
        """Records acknowledged by the broker in this process."""
        self.settle_acks()
        return self._sent

    def _on_delivery_after_retry(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None and err.code() in PERMANENT:
            self.reject(msg.topic() or self.settings.topic, msg.value() or b"", msg.key())
        else:
            self.on_delivery(err, msg)

    def _on_error(self, err: KafkaError) -> None:
        # Acknowledgements served before this report came first: count them first, so
        # broker_up ends as the last report left it.
        self.settle_acks()
        if err.fatal():
            # e.g. an idempotence failure: this producer will never deliver again.
            _log.error("otel-agents: fatal Kafka producer error (%s); recreating it", err.str())
            self._fatal = True
            return
        if err.code() in SETTINGS_ERRORS:
            # A refused login or an untrusted certificate: the user's settings, said once
            # per process (outcomes and feedback share them), naming what to fix.
            self.broker_up = False
            self._settings_problem = True
            message = first_report(err, self.settings.bootstrap_servers)
            if message is not None:
                _log.error(
                    "otel-agents: %s. Records are spooled in %s and sent once it connects "
                    "(or run otel-agents replay).",
                    message,
                    self.settings.spool_dir,
                )
            return
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self.broker_up = False
            # Said from poll() once the outage has lasted a moment: librdkafka may report
            # "all brokers are down" before the refused login or certificate behind it,
            # and then the cause is the news, not the consequence.
            if self._down_since is None:
                self._down_since = time.monotonic()
            self._down_reason = err.str()

    def _report_lasting_outage(self) -> None:
        since = self._down_since
        if since is None or self._warned_down or self._settings_problem or self.broker_up:
            return
        if time.monotonic() - since < _OUTAGE_GRACE_S:
            return
        self._warned_down = True
        _log.warning(
            "otel-agents: Kafka at %s is unreachable for %s (%s); records are kept "
            "and will be delivered or spooled for replay",
            self.settings.bootstrap_servers,
            self._what,
            self._down_reason,
        )

    # --- spool ---------------------------------------------------------------------------
    def fail_to_spool(self, topic: str, value: bytes, key: bytes | None) -> None:
        with self.lock:
            self.failed += 1
        self.spool_value(topic, value, key)

    def spool_value(self, topic: str, value: bytes, key: bytes | None) -> None:
        if not value:
            return
        try:
            kept = self.spool.append(self._record(topic, key, value))
        except Exception:
            _log.exception("otel-agents: %s lost (Kafka and spool both failed)", self._what)
            with self.lock:
                self.lost += 1
            return
        if kept:  # a full spool counts its own drops
            with self.lock:
                self.spooled += 1

    @property
    def spool(self) -> Spool:
        if self._spool is None:
            s = self.settings
            self._spool = Spool(s.spool_dir, s.spool_max_bytes, s.spool_fsync)
        return self._spool

    def _record(self, topic: str, key: bytes | None, value: bytes) -> SpoolRecord:
        headers = [(k, v) for k, v in self._headers_of(value) if isinstance(v, bytes)]
        return SpoolRecord(topic, key, value, headers)

    def reject(self, topic: str, value: bytes, key: bytes | None) -> None:
        with self.lock:
            self.failed += 1
            self.rejected_count += 1
        where = self.rejected.directory if self.rejected is not None else self.settings.spool_dir
        _log.error(
            "otel-agents: a %s record of %d bytes is too large for the broker even after "
            "truncation; kept in %s (raise message.max.bytes on the topic or producer)",
            self._what,
            len(value),
            where,
        )
        (self.rejected or self.spool).append(self._record(topic, key, value))

    # --- upkeep ----------------------------------------------------------------------------
    def poll(self, timeout_s: float = 0.0) -> None:
        self.producer.poll(timeout_s)
        self.settle_acks()
        if self._down_since is not None:
            self._report_lasting_outage()
        if self._fatal:
            self._replace_fatal_producer()

    def _replace_fatal_producer(self) -> None:
        self._fatal = False
        old, self.producer = self.producer, self._new_producer()
        # Its undelivered records come back as _PURGE_* reports and are spooled.
        old.purge(in_queue=True, in_flight=True, blocking=False)
        old.flush(1.0)

    def broker_answers(self) -> bool:
        if self.broker_up:
            return True
        try:
            return bool(self.producer.list_topics(timeout=1.0).brokers)
        except Exception:
            return False

    def flush(self, timeout_s: float) -> int:
        """Wait up to ``timeout_s`` for acknowledgements; records still queued."""
        left = int(self.producer.flush(timeout_s))
        self.settle_acks()
        return left

    def close(self, timeout_s: float) -> bool:
        """Flush for at most ``timeout_s``, then purge: purged records are spooled."""
        left = self.flush(timeout_s)
        if left > 0:
            self.producer.purge(in_queue=True, in_flight=True, blocking=False)
            # Serves the _PURGE_* delivery reports, which spool each purged record.
            self.producer.flush(1.0)
        self.close_own_spool()
        return left == 0

    def close_own_spool(self) -> None:
        """Close the spool this core made itself (a shared one belongs to its owner)."""
        if self._owns_spool and self._spool is not None:
            self._spool.close()
            self._spool = None

    def quiet(self) -> bool:
        """Nothing in flight, no outage being reported, no producer to replace: no
        delivery report or upkeep can be due until something is produced."""
        return self._down_since is None and not self._fatal and self.queued() == 0

    def queued(self) -> int:
        try:
            return len(self.producer)
        except Exception:
            return 0

    def after_fork_in_child(self, rebuild: bool) -> None:
        """In a forked child: abandon the parent's producer; build one of our own."""
        _ABANDONED.append(self.producer)
        self.reset_counters()
        if rebuild:
            try:
                self.producer = self._new_producer()
            except ConfigurationError:  # the parent built one from the same config
                _log.exception("otel-agents: could not recreate the Kafka producer after fork")
