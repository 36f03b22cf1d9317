"""Session and user ids stamped on every span of a run, from the context it starts in.

``oa.session``/``oa.user`` (and any upstream service) carry them as W3C baggage
``session.id``/``user.id``; OpenInference's ``using_session``/``using_user`` keep them
as context values. The outcome processor's ``on_start`` copies them onto each span, so
auto-instrumented child spans carry them too, not only the root.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context

from otel_agents import _otel_private, semconv

_SESSION = semconv.SESSION_ID
_USER = semconv.USER_ID
_NONE: dict[str, str] = {}
_get_current = otel_context.get_current
_baggage_entries = _otel_private.baggage_entries


def ids_in(ctx: otel_context.Context | None) -> dict[str, str]:
    """``session.id``/``user.id`` found in ``ctx`` (baggage first, then context values)."""
    if ctx is None:
        ctx = _get_current()
    entries = _baggage_entries(ctx)
    # A Context is a dict: OpenInference's using_session/using_user keep plain keys in it.
    session = (entries.get(_SESSION) if entries else None) or ctx.get(_SESSION)
    user = (entries.get(_USER) if entries else None) or ctx.get(_USER)
    if session is None and user is None:
        return _NONE
    found: dict[str, str] = {}
    if isinstance(session, str) and session:
        found[_SESSION] = session
    if isinstance(user, str) and user:
        found[_USER] = user
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
