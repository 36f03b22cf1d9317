"""The start-up hook: what the ``otel_agents_auto.pth`` line runs under plain ``python``.

The ``.pth`` line itself only reads ``OTEL_AGENTS_AUTO_INSTRUMENT`` from ``os.environ``
(already imported by ``site``) and imports this module only when the flag is set, so a
process without the flag pays one dictionary lookup. Under ``opentelemetry-instrument``
this hook steps aside: that tool's ``sitecustomize`` configures the SDK and loads
``AgentInstrumentor`` by its entry point, so the two paths never both instrument.
"""

from __future__ import annotations

import logging
import os
import sys

from otel_agents.auto import _flags
from otel_agents.auto._flags import auto_instrument_flag, disabled_by_otel, fail
from otel_agents.errors import ConfigurationError

_logger = logging.getLogger("otel_agents")
_AUTO_DIR = _flags.AUTO_DIR
_done = False


def run() -> None:
    """Instrument this process from the environment; called once per interpreter start."""
    global _done
    if _done:  # a site dir reachable twice (lib and a lib64 symlink) runs the .pth twice
        return
    _done = True
    try:
        if auto_instrument_flag() is not True or disabled_by_otel():
            return
    except ConfigurationError as exc:
        fail(exc)
    if _under_opentelemetry_instrument():
        return
    _flags.starting = True
    try:
        # The engine, not AgentInstrumentor: its base class costs ~90 ms to import.
        from otel_agents.auto._engine import ENGINE

        ENGINE.start()
    except ConfigurationError as exc:
        fail(exc)
    except Exception as exc:
        # An internal failure must not stop the application: it runs uninstrumented.
        _logger.warning(
            "otel-agents: auto-instrumentation failed; running without it: %r", exc, exc_info=exc
        )
    finally:
        _flags.starting = False


def _under_opentelemetry_instrument() -> bool:
    argv0 = os.path.basename(sys.argv[0]) if getattr(sys, "argv", None) else ""
    if argv0.startswith("opentelemetry-instrument"):
        return True  # the launcher only re-executes the program, which starts up again
    python_path = os.environ.get("PYTHONPATH", "")
    return any(entry.rstrip(os.sep).endswith(_AUTO_DIR) for entry in python_path.split(os.pathsep))
