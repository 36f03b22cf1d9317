"""SDK bootstrapping for auto-instrumentation: the set-up side, apart from the wrapping.

When nobody configured an SDK, build it from the standard ``OTEL_*`` variables (as a
distro would), then attach otel-agents' outcome processor with ``configure()``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry import trace

from otel_agents import _otel_private
from otel_agents.errors import ConfigurationError
from otel_agents.export.configure import configure, get_telemetry

_logger = logging.getLogger("otel_agents")
_EXPORTERS_ENV = "OTEL_TRACES_EXPORTER"
_KAFKA_EXPORTER = "kafka_outcomes"  # our exporter's entry-point name


def configure_telemetry(tracer_provider: Any = None) -> None:
    """Make sure an SDK and otel-agents' outcome processor exist before wrapping starts."""
    if tracer_provider is not None:
        configure(tracer_provider=tracer_provider)  # the caller's SDK: nothing to build
        return
    provider = trace.get_tracer_provider()
    if not hasattr(provider, "add_span_processor") and os.environ.get(_EXPORTERS_ENV, "").strip():
        # Nobody configured an SDK (plain python, or opentelemetry-instrument without a
        # distro) and exporters are named: build the SDK from the standard OTEL_*
        # variables, exporters found by entry point, exactly as a distro would.
        try:
            _otel_private.initialize_sdk_from_environment()
        except Exception as exc:
            raise ConfigurationError(
                f"could not configure the OpenTelemetry SDK from the environment "
                f"({_EXPORTERS_ENV}={os.environ[_EXPORTERS_ENV]!r}): {exc}"
            ) from exc
    # Without OTEL_TRACES_EXPORTER this creates the provider itself, just as calling
    # configure() in code would (embedded outcome log; OTLP if an endpoint is set).
    if _KAFKA_EXPORTER in _exporter_names():
        # The SDK already built our Kafka exporter from OTEL_TRACES_EXPORTER (here or in
        # a distro): a second producer from configure() would send every event twice.
        configure(kafka_bootstrap_servers="")
    else:
        configure()


def warn_if_nothing_recorded() -> None:
    """At exit under opentelemetry-instrument: say why nothing was traced, if nothing was."""
    if get_telemetry() is not None:
        return
    if hasattr(trace.get_tracer_provider(), "add_span_processor"):
        return
    _logger.warning(
        "otel-agents: this run was started by opentelemetry-instrument, but no OpenTelemetry "
        "SDK was configured (no distro, no configure() call), so no spans or outcome events "
        "were recorded. Fix: set OTEL_AGENTS_AUTO_INSTRUMENT=true (otel-agents then sets "
        "up the SDK and its outcome log), or call otel_agents.configure() in the app, or "
        "install opentelemetry-distro."
    )


def _exporter_names() -> set[str]:
    return {name.strip() for name in os.environ.get(_EXPORTERS_ENV, "").split(",")}
