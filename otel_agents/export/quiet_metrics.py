"""An OTLP metric exporter wrapper that reports a failing endpoint once, not every interval.

Kept apart from ``otlp_signals`` so that ``configure()`` loads the SDK's metrics package
only when it really exports metrics.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
)

from otel_agents import _otel_private

_logger = logging.getLogger("otel_agents.export.otlp_signals")

#: Loggers of the OTLP exporters that report a failed export (HTTP and gRPC).
_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
)


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
