"""Session and user ids stamped on every span of a run, from the context it starts in.

``oa.session``/``oa.user`` (and any upstream service) carry them as W3C baggage
``session.id``/``user.id``; OpenInference's ``using_session``/``using_user`` keep them
as context values. The outcome processor's ``on_start`` copies them onto each span, so
auto-instrumented child spans carry them too, not only the root.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import baggage
from opentelemetry import context as otel_context

from otel_agents import semconv

_SESSION = semconv.SESSION_ID
_USER = semconv.USER_ID


def ids_in(ctx: otel_context.Context | None) -> dict[str, str]:
    """``session.id``/``user.id`` found in ``ctx`` (baggage first, then context values)."""
    found: dict[str, str] = {}
    entries = baggage.get_all(ctx)
    for key in (_SESSION, _USER):
        value = entries.get(key) if entries else None
        if value is None:
            value = otel_context.get_value(key, ctx)
        if isinstance(value, str) and value:
            found[key] = value
    return found


def stamp_ids(span: Any, parent_context: otel_context.Context | None) -> None:
    """Copy the context's session/user ids onto a starting span (never raises)."""
    try:
        found = ids_in(parent_context)
        if found:
            attributes = span.attributes
            span.set_attributes(
                {key: value for key, value in found.items() if key not in attributes}
            )
    except Exception:  # telemetry never raises into the agent's code
        return
