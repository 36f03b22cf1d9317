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
nobody did, ``QuietMetricExporter`` reports the failure once, says which
variable fixes it, and keeps the exporter's identical errors out of the log until an
export succeeds again (``otel_agents.export.quiet_metrics``, imported only when metrics
are exported, since the SDK's metrics package is slow to import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from otel_agents._record import FrozenRecord
from otel_agents.errors import ConfigurationError

Signal = Literal["traces", "metrics"]
_PROTOCOLS = ("grpc", "http/protobuf")


class OtlpTarget(FrozenRecord):
    """One signal's OTLP destination: what the exporter's ``endpoint=`` takes."""

    __slots__ = ("endpoint", "protocol")
    endpoint: str
    protocol: str

    def __init__(self, endpoint: str, protocol: str) -> None:
        self._set(endpoint=endpoint, protocol=protocol)


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
