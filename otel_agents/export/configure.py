"""``configure()``: one call that wires otel-agents into OpenTelemetry.

It adds to an existing SDK TracerProvider (one set by the app or by
``opentelemetry-instrument``) or creates one, attaches the outcome processor with its
sinks (recent-events buffer; local JSON-lines log on the embedded default; Kafka when
configured), optionally OTLP, and flushes everything at interpreter exit.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from otel_agents import _otel_private
from otel_agents._state import RUNTIME
from otel_agents.env import (
    DEFAULT_OUTCOME_LOG_PATH,
    PRICES_ENV,
    PROCESSOR_SETTINGS,
    Settings,
    hook_timeout_ms_or_default,
)
from otel_agents.errors import ConfigurationError
from otel_agents.export import _exit_flush
from otel_agents.export.jsonl import JsonLinesOutcomeLog
from otel_agents.export.metrics import OutcomeMetrics
from otel_agents.export.processor import OutcomeSink, OutcomeSpanProcessor
from otel_agents.export.recent import RecentEvents
from otel_agents.export.sampling import wrap_sampler
from otel_agents.instrument import redaction
from otel_agents.instrument import threads as _threads

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter

    from otel_agents.events.outcome import OutcomeEvent
    from otel_agents.export.kafka.exporter import KafkaOutcomeExporter
    from otel_agents.export.otlp_signals import OtlpTarget
    from otel_agents.export.rollup import RunTree
    from otel_agents.semconv import Status

_logger = logging.getLogger("otel_agents")
REDACT_CALLBACK_ENV = "OTEL_AGENTS_REDACT_CALLBACK"
_lock = threading.RLock()
_current: Telemetry | None = None


class Telemetry:
    """What ``configure()`` set up; ``shutdown()`` flushes and detaches it."""

    def __init__(
        self,
        settings: Settings,
        tracer_provider: TracerProvider,
        processor: OutcomeSpanProcessor,
        recent: RecentEvents,
        outcome_log: JsonLinesOutcomeLog | None,
        owns_provider: bool,
        extra_processors: Sequence[Any] = (),
        meter_provider: SdkMeterProvider | None = None,
    ) -> None:
        self.settings = settings
        self.tracer_provider = tracer_provider
        self.processor = processor
        self.recent = recent
        self.outcome_log = outcome_log
        self.owns_provider = owns_provider
        self.extra_processors = list(extra_processors)
        #: The MeterProvider configure() created (OTLP metrics), else None.
        self.meter_provider = meter_provider
        #: The Kafka outcome exporter configure() created, else None (feedback shares
        #: its settings and spool).
        self.kafka_exporter: KafkaOutcomeExporter | None = None
        self._closed = False

    @property
    def sinks(self) -> list[OutcomeSink]:
        return self.processor.sinks

    def stats(self) -> dict[str, int]:
        """Self-observation: events built, spans dropped, telemetry errors swallowed.

        oa.get_telemetry().stats()   # {"events": 1200, "dropped": 0, ...}

        ``sink_dropped`` counts events some sink never took (stuck with its queue full, or
        still busy at shutdown); each such sink also has ``sink_dropped.<ClassName>``.
        """
        sink_drops = {
            f"sink_dropped.{name}": count
            for name, count in self.processor.sink_drops().items()
            if count
        }
        return {
            "events": self.processor.processed,
            "dropped": self.processor.dropped,
            "failed": self.processor.failed,
            "caller_exports": self.processor.caller_exports,
            "queued": self.processor.queued,
            "internal_errors": RUNTIME.internal_errors,
            "sink_failures": self._sink_failures(),
            "sink_dropped": sum(sink_drops.values()),
            **sink_drops,
            "outcome_log_rotations": self.outcome_log.rotations if self.outcome_log else 0,
            "outcome_log_rotated_away": self.outcome_log.rotated_away if self.outcome_log else 0,
            **_hooks().hook_stats(),
            **self.processor.rollup_stats(),
        }

    def _sink_failures(self) -> int:
        """Events some sink could not keep (disk refused, unserialisable, Kafka spool full)."""
        total = self.processor.sink_raised()
        for sink in self.processor.sinks:
            stats = getattr(sink, "stats", None)
            dropped = getattr(stats(), "dropped", None) if callable(stats) else None
            failed = dropped if isinstance(dropped, int) else getattr(sink, "failed", 0)
            total += failed if isinstance(failed, int) else 0
        return total

    def force_flush(self, timeout_millis: int = 10000) -> bool:
        """Export everything finished so far (outcomes and, if set, OTLP spans).

        Background post hooks queued so far run first, within the same time.
        """
        deadline = time.monotonic() + timeout_millis / 1000
        ok = _flush_background_hooks(timeout_millis / 1000)
        timeout_millis = max(int((deadline - time.monotonic()) * 1000), 0)
        ok = self.processor.force_flush(timeout_millis) and ok
        for processor in self.extra_processors:
            ok = processor.force_flush(timeout_millis) and ok
        if self.meter_provider is not None:
            ok = self.meter_provider.force_flush(timeout_millis) and ok
        return ok

    def shutdown(self) -> None:
        """Flush and stop; afterwards decorated calls still run, without exporting."""
        if self._closed:
            return
        self._closed = True
        # First: a background hook may still use telemetry (feedback, record of its own).
        _flush_background_hooks(final=True)
        self.processor.shutdown()
        for processor in self.extra_processors:
            processor.shutdown()
        # Last: the outcome processor's final events have recorded their metrics.
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


def configure(
    service_name: str | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    outcome_log: str | os.PathLike[str] | None = None,
    recent_events_size: int | None = None,
    capture_content: bool | None = None,
    max_value_length: int | None = None,
    redact: bool | None = None,
    redact_pattern: str | None = None,
    redact_callback: Callable[[str], str] | None = None,
    otlp_endpoint: str | None = None,
    otlp_protocol: str | None = None,
    kafka_bootstrap_servers: str | None = None,
    kafka_topic: str | None = None,
    emit_pending: bool | None = None,
    hook_timeout_ms: int | None = None,
    kafka_producer_config: Mapping[str, Any] | None = None,
    spool_dir: str | os.PathLike[str] | None = None,
    critical_exceptions: Iterable[type[BaseException]] = (),
    sinks: Iterable[OutcomeSink] = (),
    resource_attributes: Mapping[str, Any] | None = None,
    foreign_spans: str | None = None,
    prices: Mapping[str, Mapping[str, float]] | str | os.PathLike[str] | None = None,
) -> Telemetry:
    """Set up otel-agents. Idempotent: a second call returns the first call's setup.

        import otel_agents as oa
        oa.configure(service_name="support-bot")   # embedded default: no Kafka needed

    Arguments beat environment variables (``OTEL_SERVICE_NAME``, ``OTEL_AGENTS_*``,
    ``OTEL_EXPORTER_OTLP_ENDPOINT``), which beat defaults. Raises ``ConfigurationError``
    for invalid settings. Call ``oa.shutdown()`` to flush early or to configure anew.
    """
    global _current
    with _lock:
        if _current is not None:
            given = {name for name, value in locals().items() if value not in (None, ())}
            if given:
                _logger.warning(
                    "otel-agents: configure(%s) ignored: already configured (by an earlier "
                    "call or by auto-instrumentation at start-up). Call oa.shutdown() first "
                    "to configure anew, or set the equivalent OTEL_AGENTS_* variables.",
                    ", ".join(sorted(given)),
                )
            return _current
        settings = Settings.from_env(
            {
                "service_name": service_name,
                "outcome_log": os.fspath(outcome_log) if outcome_log is not None else None,
                "recent_events_size": recent_events_size,
                "capture_content": capture_content,
                "max_value_length": max_value_length,
                "redact": redact,
                "redact_pattern": redact_pattern,
                "otlp_endpoint": otlp_endpoint,
                "otlp_protocol": otlp_protocol,
                "kafka_bootstrap_servers": kafka_bootstrap_servers,
                "kafka_topic": kafka_topic,
                "emit_pending": emit_pending,
                "hook_timeout_ms": hook_timeout_ms,
                "foreign_spans": foreign_spans,
            }
        )
        redaction.compile_extra_pattern(
            settings.redact_pattern,
            "redact_pattern" if redact_pattern else "env OTEL_AGENTS_REDACT_PATTERN",
        )
        traces_target, metrics_target = _otlp_targets(settings)
        critical = tuple(critical_exceptions)
        for exc_type in critical:
            if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
                raise ConfigurationError(
                    f"critical_exceptions must be exception classes, got {exc_type!r}"
                )
        provider, owns_provider = _tracer_provider(settings, tracer_provider, resource_attributes)

        outcome_sinks: list[OutcomeSink] = []
        recent = RecentEvents(settings.recent_events_size)
        outcome_sinks.append(recent)
        # Under opentelemetry-instrument with OTEL_TRACES_EXPORTER=...,kafka_outcomes the
        # SDK already holds our Kafka exporter: feed it instead of opening a second producer.
        adopted = _existing_kafka_exporter(provider)
        kafka_sink = adopted or _kafka_sink(
            settings, kafka_bootstrap_servers, kafka_topic, kafka_producer_config, spool_dir
        )
        if kafka_sink is not None:
            outcome_sinks.append(kafka_sink)
        outcome_sinks.extend(sinks)
        log: JsonLinesOutcomeLog | None = None
        if settings.outcome_log is not None or (kafka_sink is None and not list(sinks)):
            log = JsonLinesOutcomeLog(
                settings.outcome_log or DEFAULT_OUTCOME_LOG_PATH,
                max_bytes=settings.outcome_log_max_bytes,
                keep=settings.outcome_log_keep,
            )
            outcome_sinks.append(log)
        # Every sink after the recent-events buffer may serialise events. When two do, the
        # JSON stays on each event for the other (made once); one alone frees it once sent.
        share_json = len(outcome_sinks) > 2
        for serialiser in (kafka_sink, log):
            if serialiser is not None:
                serialiser.share_json = share_json

        # Metrics are recorded from finished outcomes on the processor's thread.
        meter_provider = _meter_provider(metrics_target, provider)
        outcome_sinks.append(OutcomeMetrics(meter_provider))

        processor = OutcomeSpanProcessor(
            outcome_sinks,
            run_tree=_run_tree(settings, prices),
            stamp_session_ids=True,
            **{name: getattr(settings, name) for name in PROCESSOR_SETTINGS},
        )
        provider.add_span_processor(processor)
        if adopted is not None:
            # Only now that our processor feeds it: the exporter retires its own outcome
            # processor (a span ending in between reaches both, never neither).
            adopted.fed_by_processor = True
        extra: list[Any] = []
        if traces_target is not None and (owns_provider or otlp_endpoint is not None):
            otlp = BatchSpanProcessor(_otlp_exporter(traces_target))
            provider.add_span_processor(otlp)
            extra.append(otlp)

        # Outcome spans a trace sampler would drop are recorded (not sampled) instead, so
        # every outcome reaches the sinks while OTLP still gets only the sampled traces.
        wrap_sampler(provider)
        RUNTIME.use_tracer_provider(provider)
        RUNTIME.capture_content = settings.capture_content
        RUNTIME.hook_timeout_s = settings.hook_timeout_ms / 1000
        RUNTIME.max_value_length = settings.max_value_length
        callback = redact_callback or redaction.load_callback(
            os.environ.get(REDACT_CALLBACK_ENV), f"env {REDACT_CALLBACK_ENV}"
        )
        redaction.use_policy(
            redaction.RedactionPolicy(settings.redact, settings.redact_pattern, callback)
        )
        RUNTIME.critical_exceptions = critical
        if settings.propagate_to_threads:
            _threads.install()

        _current = Telemetry(
            settings, provider, processor, recent, log, owns_provider, extra, meter_provider
        )
        _current.kafka_exporter = kafka_sink
        # The module's shutdown(), not the Telemetry's: it marks the flush as under way, so
        # a SIGTERM arriving meanwhile waits for it (and it is a no-op once shut down).
        atexit.unregister(shutdown)
        atexit.register(shutdown)
        _exit_flush.install(shutdown)
        return _current


def _run_tree(
    settings: Settings, prices: Mapping[str, Mapping[str, float]] | str | os.PathLike[str] | None
) -> RunTree | Callable[[], RunTree] | None:
    """Other libraries' spans and the LLM roll-up; None with OTEL_AGENTS_FOREIGN_SPANS=none.

    What the user set (conventions, prices) is checked now, at configuration time. With
    nothing set there is nothing to check: the processor builds the tree with its first
    batch, so a start-up that ends no action never imports the roll-up, the adapters'
    registry and the price table (~5 M instructions).
    """
    if (
        settings.foreign_spans == Settings().foreign_spans
        and prices is None
        and not os.environ.get(PRICES_ENV, "").strip()
    ):
        return functools.partial(_new_run_tree, settings, None, {})
    from otel_agents.export.foreign import ForeignSpans

    if not ForeignSpans.from_setting(settings.foreign_spans):
        return None
    return _new_run_tree(settings, prices, os.environ)


def _new_run_tree(
    settings: Settings,
    prices: Mapping[str, Mapping[str, float]] | str | os.PathLike[str] | None,
    environ: Mapping[str, str],
) -> RunTree:
    from otel_agents.export.foreign import ForeignSpans
    from otel_agents.export.foreign.content import ContentPolicy
    from otel_agents.export.prices import PriceTable
    from otel_agents.export.rollup import RunTree

    # Their content gets the same redaction as ours: redact_text reads the policy
    # configure() installs (default patterns, extra pattern, callback).
    policy = ContentPolicy(
        capture=settings.capture_content,
        redact=redaction.redact_text,
        max_length=settings.max_value_length,
    )
    adapters = ForeignSpans.from_setting(settings.foreign_spans)
    return RunTree(adapters, PriceTable.load(prices, environ), policy)


def _existing_kafka_exporter(provider: Any) -> KafkaOutcomeExporter | None:
    """Our Kafka exporter if the SDK already exports spans to it: it then takes our events."""
    kafka = sys.modules.get("otel_agents.export.kafka.exporter")
    if kafka is None:  # nobody built our Kafka exporter in this process
        return None
    for exporter in _otel_private.span_exporters(provider):
        if isinstance(exporter, kafka.KafkaOutcomeExporter):
            found: KafkaOutcomeExporter = exporter
            return found
    return None


def _tracer_provider(
    settings: Settings,
    explicit: TracerProvider | None,
    resource_attributes: Mapping[str, Any] | None,
) -> tuple[TracerProvider, bool]:
    if explicit is not None:
        return explicit, False
    existing = trace.get_tracer_provider()
    if isinstance(existing, TracerProvider):
        return existing, False
    if hasattr(existing, "add_span_processor"):  # another SDK-compatible provider
        return existing, False  # type: ignore[return-value]
    attributes: dict[str, Any] = dict(resource_attributes or {})
    if settings.service_name:
        attributes[SERVICE_NAME] = settings.service_name
    # Resource.create also reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider(resource=Resource.create(attributes))
    trace.set_tracer_provider(provider)
    if trace.get_tracer_provider() is not provider:
        return trace.get_tracer_provider(), False  # type: ignore[return-value]
    return provider, True


def _otlp_targets(settings: Settings) -> tuple[OtlpTarget | None, OtlpTarget | None]:
    """Where traces and metrics go over OTLP, per signal by the OTEL_* rules
    (``otel_agents.export.otlp_signals``); bad values fail here, before anything is set up.

    With no endpoint and no ``OTEL_EXPORTER_OTLP_*`` variable neither goes anywhere, and
    the rules' module is not loaded (most start-ups).
    """
    if not settings.otlp_endpoint and not any(
        name.startswith("OTEL_EXPORTER_OTLP_") for name in os.environ
    ):
        return None, None
    from otel_agents.export.otlp_signals import otlp_target

    endpoint, protocol = settings.otlp_endpoint, settings.otlp_protocol
    return (
        otlp_target("traces", endpoint, protocol, os.environ),
        otlp_target("metrics", endpoint, protocol, os.environ),
    )


def _otlp_exporter(target: OtlpTarget) -> SpanExporter:
    if target.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter(endpoint=target.endpoint)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter(endpoint=target.endpoint)


def _meter_provider(
    target: OtlpTarget | None, tracer_provider: TracerProvider
) -> SdkMeterProvider | None:
    """An OTLP-exporting MeterProvider when metrics have an OTLP target and the app has
    no MeterProvider of its own (rules: otel_agents.export.otlp_signals).

    None means "use the global one" (the app's own, or the no-op default).
    """
    if target is None:
        return None  # the SDK's metrics (~20 ms to import) are not needed then
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    from otel_agents.export.quiet_metrics import QuietMetricExporter

    if isinstance(metrics.get_meter_provider(), SdkMeterProvider):
        return None
    exporter: MetricExporter
    if target.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcMetricExporter,
        )

        exporter = GrpcMetricExporter(endpoint=target.endpoint)
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HttpMetricExporter,
        )

        exporter = HttpMetricExporter(endpoint=target.endpoint)
    resource = getattr(tracer_provider, "resource", None) or Resource.create()
    reader = PeriodicExportingMetricReader(QuietMetricExporter(exporter, target.endpoint))
    meter_provider = SdkMeterProvider(resource=resource, metric_readers=[reader])
    # Global too, so other otel-agents meters (the Kafka exporter's) export as well.
    metrics.set_meter_provider(meter_provider)
    return meter_provider


def _kafka_sink(
    settings: Settings,
    bootstrap_servers: str | None,
    topic: str | None,
    producer_config: Mapping[str, Any] | None,
    spool_dir: str | os.PathLike[str] | None,
) -> KafkaOutcomeExporter | None:
    if not settings.kafka_bootstrap_servers:
        return None
    # Imported only when Kafka is configured: confluent-kafka costs ~40 ms to import.
    from otel_agents.export.kafka.exporter import KafkaOutcomeExporter

    # Only what was passed to configure() goes in as an argument: the exporter reads the
    # rest from the environment itself, so an error names the variable the user set.
    return KafkaOutcomeExporter(
        bootstrap_servers=bootstrap_servers,
        topic=topic,
        producer_config=producer_config,
        spool_dir=spool_dir,
        _argument_prefix="kafka_",
    )


def _hooks() -> ModuleType:
    from otel_agents.instrument import hooks

    return hooks


def _flush_background_hooks(timeout_s: float | None = None, *, final: bool = False) -> bool:
    """Wait for background post hooks; True at once when the hooks module never loaded.

    No hook can be queued before it loads (a first traced call or ``add_post_hook`` loads
    it), so an auto-instrumented start-up does not import it just to flush nothing at exit.
    """
    hooks = sys.modules.get("otel_agents.instrument.hooks")
    if hooks is None:
        return True
    if timeout_s is None:
        return bool(hooks.flush_background_hooks(final=final))
    return bool(hooks.flush_background_hooks(timeout_s, final=final))


def get_telemetry() -> Telemetry | None:
    """The active setup, or None before ``configure()``."""
    return _current


def shutdown() -> None:
    """Flush and detach the current setup; ``configure()`` may then be called again."""
    global _current
    with _lock:
        if _current is None:
            return
        telemetry, _current = _current, None
        with _exit_flush.flushing():
            telemetry.shutdown()
        # Even from a provider we created: it stays the global one (OpenTelemetry allows
        # setting it once), and a new configure() attaches to it again.
        _detach_processor(telemetry)
        RUNTIME.use_tracer_provider(None)
        RUNTIME.hook_timeout_s = hook_timeout_ms_or_default() / 1000
        redaction.use_policy(None)
        _threads.uninstall()  # configure() installed it; the host's pools are theirs again


def _detach_processor(telemetry: Telemetry) -> None:
    _otel_private.remove_span_processors(
        telemetry.tracer_provider, [telemetry.processor, *telemetry.extra_processors]
    )


def force_flush(timeout_millis: int = 10000) -> bool:
    """Export everything finished so far; True when every sink confirmed.

    Also waits (within ``timeout_millis``) for background post hooks, configured or not.
    """
    telemetry = _current
    if telemetry is None:
        return _flush_background_hooks(timeout_millis / 1000)
    return telemetry.force_flush(timeout_millis)


def recent_events(
    count: int = 10,
    agent: str | None = None,
    status: Status | str | None = None,
    kind: str | None = None,
    workflow_id: str | None = None,
) -> list[OutcomeEvent]:
    """The latest outcomes of this process, oldest first (after ``configure()``).

    oa.recent_events(count=10, agent="react", status=oa.Status.FAILURE)
    """
    telemetry = _current
    if telemetry is None:
        return []
    telemetry.processor.drain()  # include actions that ended a moment ago
    return telemetry.recent.query(
        count,
        agent=agent,
        status=None if status is None else str(status),
        kind=kind,
        workflow_id=workflow_id,
    )
