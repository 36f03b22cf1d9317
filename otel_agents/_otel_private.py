"""Every use of a private OpenTelemetry internal, in one place, each with its reason.

OpenTelemetry does not promise these names; ``tests/core/test_otel_private.py`` checks
each one, so an SDK or API upgrade that changes them fails loudly in CI instead of
silently disabling a fast path.
"""

from __future__ import annotations

from opentelemetry import trace as _trace_api


def global_tracer_provider_is_set() -> bool:
    """Whether anyone has set a global tracer provider (the SDK's or another).

    ``trace.get_tracer_provider()`` would create a proxy provider as a side effect and
    costs a lock; the decorators read this on every call to skip telemetry entirely
    when no SDK exists, so they read the module global the API itself uses.
    """
    return _trace_api._TRACER_PROVIDER is not None
