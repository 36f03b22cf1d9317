"""Where ``configure()`` sends each OTLP signal, by the OpenTelemetry environment rules.

Per signal (``traces``, ``metrics``), in this order:

- ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` without ``otlp`` in its list
  (e.g. ``none``) sends nothing over OTLP for that signal;
- ``OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT`` is used as it is (for HTTP, the
  full URL, ``/v1/...`` included), with ``OTEL_EXPORTER_OTLP_{SIGNAL}_PROTOCOL`` if set;
- else the shared endpoint (``otlp_endpoint=`` or ``OTEL_EXPORTER_OTLP_ENDPOINT``), to
  which HTTP appends ``/v1/traces`` or ``/v1/metrics``.

A traces-only backend (Jaeger) answers metrics with 404 (HTTP) or UNIMPLEMENTED
(gRPC). Point metrics elsewhere or switch them off with the variables above; if
nobody did, :class:`QuietMetricExporter` reports the failure once, says which
variable fixes it, and keeps the exporter's identical errors out of the log until an
export succeeds again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
)

from otel_agents import _otel_private
from otel_agents.errors import ConfigurationError

_logger = logging.getLogger(__name__)

Signal = Literal["traces", "metrics"]
_PROTOCOLS = ("grpc", "http/protobuf")

#: Loggers of the OTLP exporters that report a failed export (HTTP and gRPC).
_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
)


@dataclass(frozen=True)
class OtlpTarget:
    """One signal's OTLP destination: what the exporter's ``endpoint=`` takes."""

    endpoint: str
    protocol: str


def otlp_target(
    signal: Signal, endpoint: str | None, protocol: str, environ: Mapping[str, str]
) -> OtlpTarget | None:
    """Where ``signal`` goes over OTLP, or None for nowhere.

        otlp_target("metrics", "http://127.0.0.1:4318", "http/protobuf", os.environ)
        # OtlpTarget(endpoint="http://127.0.0.1:4318/v1/metrics", protocol="http/protobuf")

    ``endpoint``/``protocol`` are the shared settings (argument or environment).
    Raises ConfigurationError for a signal protocol other than grpc or http/protobuf.
    """
    upper = signal.upper()
    selected = environ.get(f"OTEL_{upper}_EXPORTER", "").strip()
    if selected and "otlp" not in {name.strip().lower() for name in selected.split(",")}:
        return None
    protocol_var = f"OTEL_EXPORTER_OTLP_{upper}_PROTOCOL"
    signal_protocol = environ.get(protocol_var, "").strip() or protocol
    if signal_protocol not in _PROTOCOLS:
        raise ConfigurationError(
            f"{protocol_var}={signal_protocol!r} is not supported: use 'grpc' or 'http/protobuf'"
        )
    signal_endpoint = environ.get(f"OTEL_EXPORTER_OTLP_{upper}_ENDPOINT", "").strip()
    if signal_endpoint:
        return OtlpTarget(signal_endpoint, signal_protocol)
    if not endpoint:
        return None
    if signal_protocol == "grpc":
        return OtlpTarget(endpoint, signal_protocol)
    return OtlpTarget(f"{endpoint.rstrip('/')}/v1/{signal}", signal_protocol)


class _MuteWhileRepeating(logging.Filter):
    """Drops exporter records on the thread whose guard is muted, and only there:
    the trace exporter shares a logger with the metric exporter but not its thread."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "muted", False)


_MUTE = _MuteWhileRepeating()
for _name in _EXPORTER_LOGGERS:
    logging.getLogger(_name).addFilter(_MUTE)


class QuietMetricExporter(MetricExporter):
    """An OTLP metric exporter that reports a failing endpoint once, not every interval.

        exporter = QuietMetricExporter(OTLPMetricExporter(endpoint=url), url)

    The first failed export is logged by the exporter as usual, followed by one
    warning naming the variables that route or switch off metrics; later failures are
    not logged until an export succeeds. Nothing else changes: every interval is
    still exported (cumulative temporality loses nothing while the endpoint refuses).
    """

    def __init__(self, exporter: MetricExporter, endpoint: str) -> None:
        temporality, aggregation = _otel_private.metric_exporter_preferences(exporter)
        super().__init__(preferred_temporality=temporality, preferred_aggregation=aggregation)
        self._exporter = exporter
        self._endpoint = endpoint
        self._failing = False

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        _MUTE.local.muted = self._failing
        try:
            result = self._exporter.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        finally:
            _MUTE.local.muted = False
        if result is MetricExportResult.SUCCESS:
            if self._failing:
                _logger.info("otel-agents: metrics export to %s works again", self._endpoint)
            self._failing = False
        elif not self._failing:
            self._failing = True
            _logger.warning(
                "otel-agents: metrics export to %s failed; further failures are not logged "
                "until it works. If that endpoint takes traces only (e.g. Jaeger), set "
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT to a Collector, or "
                "OTEL_METRICS_EXPORTER=none to send no metrics.",
                self._endpoint,
            )
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis, **kwargs)
