"""``AgentInstrumentor``: the OpenTelemetry instrumentor behind auto-instrumentation.

``opentelemetry-instrument`` loads it by its entry point (``otel_agents``); the start-up
hook calls it under plain ``python``; code may call it directly. It wraps what the target
patterns match, in modules imported before or after, and sends their spans to the
``tracer_provider`` passed in (else the global one). Setting up the SDK is not its job:
with ``configure=True`` (the default) it asks ``_bootstrap`` to do that first.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Collection, Iterable
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from otel_agents._state import RUNTIME
from otel_agents.auto import _bootstrap
from otel_agents.auto import _flags as _startup
from otel_agents.auto._hooks import ImportWatch
from otel_agents.auto._patcher import Patcher
from otel_agents.auto.presets import check_versions
from otel_agents.auto.targets import TARGETS_ENV, Target, parse_targets
from otel_agents.errors import ConfigurationError

_logger = logging.getLogger("otel_agents")


class AgentInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Wrap agents, tools and workflows chosen by patterns, without editing their code.

        AgentInstrumentor().instrument(targets=["myapp.agents:*Agent.execute",
                                                "tool:myapp.tools:search_*"])
        AgentInstrumentor().uninstrument()          # every original restored

    Without ``targets=`` the patterns come from ``OTEL_AGENTS_TARGETS``. ``configure=False``
    leaves the SDK and ``otel_agents.configure()`` to the caller; ``tracer_provider=``
    chooses where the spans go.
    """

    _patcher: Patcher | None = None
    _watch: ImportWatch | None = None
    _uses_provider = False

    def instrumentation_dependencies(self) -> Collection[str]:
        """Nothing to check: the targets are the user's own code."""
        return ()

    @property
    def wrapped_count(self) -> int:
        """How many functions and methods are wrapped right now."""
        return self._patcher.wrapped_count if self._patcher is not None else 0

    def _instrument(self, **kwargs: Any) -> None:
        explicit: str | Iterable[str] | None = kwargs.get("targets")
        try:
            targets = self._targets(explicit)
            if targets is None:
                if explicit is None:
                    atexit.register(_bootstrap.warn_if_nothing_recorded)
                return
            provider = kwargs.get("tracer_provider")
            if kwargs.get("configure", True):
                _bootstrap.configure_telemetry(provider)
            elif provider is not None:
                RUNTIME.use_tracer_provider(provider)
                self._uses_provider = True
        except ConfigurationError as exc:
            if explicit is None and _startup.in_startup():
                _startup.fail(exc)
            raise
        self._start(targets)

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._watch is not None:
            self._watch.stop()
        if self._patcher is not None:
            atexit.unregister(self._patcher.warn_unmatched)
            self._patcher.restore()
        self._watch = None
        self._patcher = None
        if self._uses_provider:
            RUNTIME.use_tracer_provider(None)
            self._uses_provider = False

    def _targets(self, explicit: str | Iterable[str] | None) -> list[Target] | None:
        if explicit is not None:
            return parse_targets(explicit, source="AgentInstrumentor.instrument(targets=...)")
        flag = _startup.auto_instrument_flag()
        if flag is False:
            _logger.debug("otel-agents: %s=false, not instrumenting", _startup.FLAG_ENV)
            return None
        raw = os.environ.get(TARGETS_ENV, "")
        if not raw.strip():
            if flag is not True:
                # Loaded by opentelemetry-instrument in an app that never asked for us.
                return None
            raw = "preset:auto"  # the flag alone: every installed framework's preset
        return parse_targets(raw)

    def _start(self, targets: list[Target]) -> None:
        check_versions(targets)
        patcher = Patcher(targets)
        watch = ImportWatch(
            (t.module for t in targets if not t.module_is_glob),
            (t.module for t in targets if t.module_is_glob),
            patcher.apply_to_module,
        )
        self._patcher, self._watch = patcher, watch
        atexit.register(patcher.warn_unmatched)
        watch.start()
