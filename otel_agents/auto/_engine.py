"""What auto-instrumentation does, without OpenTelemetry's ``BaseInstrumentor``.

``AgentInstrumentor`` (the class ``opentelemetry-instrument`` loads) is a thin
``BaseInstrumentor`` around the one :data:`ENGINE` here. The start-up hook drives the
engine directly: importing ``opentelemetry.instrumentation`` pulls in ``packaging``,
``importlib.metadata`` and ``wrapt`` (~90 ms of CPU), which a process that only set
``OTEL_AGENTS_AUTO_INSTRUMENT`` should not pay.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Iterable
from typing import Any

from otel_agents._state import RUNTIME
from otel_agents.auto import _bootstrap
from otel_agents.auto import _flags as _startup
from otel_agents.auto._hooks import ImportWatch
from otel_agents.auto._patcher import Patcher
from otel_agents.auto.targets import TARGETS_ENV, Target, parse_targets
from otel_agents.errors import ConfigurationError

_logger = logging.getLogger("otel_agents")


class Engine:
    """Wraps what the target patterns match, now and in modules imported later."""

    def __init__(self) -> None:
        self._patcher: Patcher | None = None
        self._watch: ImportWatch | None = None
        self._uses_provider = False

    @property
    def active(self) -> bool:
        return self._watch is not None

    @property
    def wrapped_count(self) -> int:
        return self._patcher.wrapped_count if self._patcher is not None else 0

    def start(self, **kwargs: Any) -> None:
        """``targets=``, ``tracer_provider=``, ``configure=`` as ``instrument()`` takes them."""
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

    def stop(self) -> None:
        """Every original restored; later imports of targets are left alone."""
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
        if any(t.preset is not None for t in targets):
            # Presets (their table, installed versions) load only when a preset is used.
            from otel_agents.auto.presets import check_versions

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


#: The process's one engine: the start-up hook's and ``AgentInstrumentor``'s.
ENGINE = Engine()
