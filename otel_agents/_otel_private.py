"""Every use of a private OpenTelemetry internal, in one place, each with its reason.

OpenTelemetry does not promise these names; ``tests/core/test_otel_private.py`` checks
each one, so an SDK or API upgrade that changes them fails loudly in CI instead of
silently disabling a fast path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry import context
from opentelemetry import trace as _trace_api


def global_tracer_provider_is_set() -> bool:
    """Whether anyone has set a global tracer provider (the SDK's or another).

    ``trace.get_tracer_provider()`` would create a proxy provider as a side effect and
    costs a lock; the decorators read this on every call to skip telemetry entirely
    when no SDK exists, so they read the module global the API itself uses.
    """
    return _trace_api._TRACER_PROVIDER is not None


@contextlib.contextmanager
def suppress_instrumentation() -> Iterator[None]:
    """Run a block with OpenTelemetry's suppress-instrumentation key set.

    Instrumented clients used by a sink (HTTP, Kafka) then make no spans of their own,
    so exporting never traces itself. The key is named privately in the API, but every
    contrib instrumentation and the SDK's own batch processor use it; the public
    ``opentelemetry.instrumentation.utils.suppress_instrumentation`` does this same thing
    but imports the whole instrumentation package.
    """
    token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        yield
    finally:
        context.detach(token)
