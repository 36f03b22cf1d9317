"""Each private OpenTelemetry internal we rely on, checked: an upgrade that moves one fails here."""

from __future__ import annotations

import subprocess
import sys

from otel_agents import _otel_private


def test_global_tracer_provider_is_set_follows_set_tracer_provider() -> None:
    code = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from otel_agents import _otel_private as p\n"
        "before = p.global_tracer_provider_is_set()\n"
        "trace.set_tracer_provider(TracerProvider())\n"
        "print(before, p.global_tracer_provider_is_set())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_the_module_global_it_reads_still_exists() -> None:
    from opentelemetry import trace

    assert hasattr(trace, "_TRACER_PROVIDER")
    assert isinstance(_otel_private.global_tracer_provider_is_set(), bool)


def test_suppress_instrumentation_is_seen_by_contrib_instrumentations() -> None:
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled

    assert is_instrumentation_enabled()
    with _otel_private.suppress_instrumentation():
        assert not is_instrumentation_enabled()
    assert is_instrumentation_enabled()
