"""Process-wide state the hot path reads: the tracer, content capture and hooks.

Kept in one mutable object so ``configure()`` can swap it atomically and decorated
functions (which may be created before ``configure()``) always see the current policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, cast

from opentelemetry import trace

from otel_agents import semconv
from otel_agents._otel_private import tracer_for_clean_attributes
from otel_agents.env import hook_timeout_ms_or_default
from otel_agents.version import __version__ as _VERSION

_logger = logging.getLogger("otel_agents")


class Runtime:
    """What every decorated call consults. One instance, ``RUNTIME``."""

    def __init__(self) -> None:
        self.tracer: trace.Tracer = trace.get_tracer(semconv.INSTRUMENTATION_SCOPE, _VERSION)
        self.capture_content = False
        self.max_value_length = 4096
        self.critical_exceptions: tuple[type[BaseException], ...] = ()
        self._pre_hooks: tuple[Callable[..., Any], ...] = ()
        self._post_hooks: tuple[Callable[..., Any], ...] = ()
        #: An async hook's deadline and a sync hook's budget (OTEL_AGENTS_HOOK_TIMEOUT_MS).
        self.hook_timeout_s = hook_timeout_ms_or_default() / 1000
        self._follows_global = True
        self.bypass_possible = True
        self.internal_errors = 0
        self._reported: set[str] = set()
        self._lock = threading.Lock()

    @property
    def hooks_active(self) -> bool:
        return bool(self.pre_hooks or self.post_hooks)

    @property
    def pre_hooks(self) -> tuple[Callable[..., Any], ...]:
        return self._pre_hooks

    @pre_hooks.setter
    def pre_hooks(self, hooks: tuple[Callable[..., Any], ...]) -> None:
        self._pre_hooks = hooks
        self._update_bypass()

    @property
    def post_hooks(self) -> tuple[Callable[..., Any], ...]:
        return self._post_hooks

    @post_hooks.setter
    def post_hooks(self, hooks: tuple[Callable[..., Any], ...]) -> None:
        self._post_hooks = hooks
        self._update_bypass()

    def use_tracer_provider(self, provider: trace.TracerProvider | None) -> None:
        """Send spans to ``provider`` (None: whatever the global provider is, now or later)."""
        self.tracer = _TracerOnFirstSpan(self, provider)
        self._follows_global = provider is None
        self._update_bypass()

    def _update_bypass(self) -> None:
        # With no provider anywhere and no hooks, a decorated call can skip telemetry
        # entirely; the wrappers still check that no global provider appeared since.
        self.bypass_possible = self._follows_global and not (self._pre_hooks or self._post_hooks)

    def report_internal_error(self, where: str, exc: BaseException) -> None:
        """Count a telemetry failure and log it once per place: never raise into agent code."""
        self.internal_errors += 1
        if where in self._reported:
            return
        with self._lock:
            if where in self._reported:
                return
            self._reported.add(where)
        _logger.warning(
            "otel-agents: telemetry error in %s (counted, logged once; the agent call is "
            "unaffected): %r",
            where,
            exc,
            exc_info=exc,
        )


class _TracerOnFirstSpan(trace.Tracer):
    """``provider``'s tracer (None: the global one's), got with the first span rather than
    at ``configure()`` or ``shutdown()``.

    The SDK's ``get_tracer`` costs ~1 M instructions (it installs a warnings filter, two
    regular expressions), which an auto-instrumented process that never calls an agent
    should not pay. The first span puts the real tracer in ``Runtime.tracer``, so every
    later call goes to it directly.
    """

    def __init__(self, runtime: Runtime, provider: trace.TracerProvider | None) -> None:
        self._runtime = runtime
        self._provider = provider

    def _tracer(self) -> trace.Tracer:
        if self._provider is None:  # the global provider, or a proxy following it
            tracer = trace.get_tracer(semconv.INSTRUMENTATION_SCOPE, _VERSION)
        else:
            tracer = self._provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, _VERSION)
        # The decorators' start attributes are cleaned once, at decoration: the SDK's
        # tracer need not clean them again at every span.
        tracer = cast(trace.Tracer, tracer_for_clean_attributes(tracer))
        if self._runtime.tracer is self:  # not replaced meanwhile (shutdown, a new provider)
            self._runtime.tracer = tracer
        return tracer

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._tracer().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._tracer().start_as_current_span(*args, **kwargs)


RUNTIME = Runtime()
