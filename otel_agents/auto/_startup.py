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
from typing import NoReturn

from otel_agents.config import parse_bool
from otel_agents.errors import ConfigurationError

#: Turns auto-instrumentation on (``true``) or off (``false``) in every start-up path.
FLAG_ENV = "OTEL_AGENTS_AUTO_INSTRUMENT"
#: OpenTelemetry's list of instrumentations to skip, by entry-point name.
DISABLED_ENV = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
#: Our entry-point name in the ``opentelemetry_instrumentor`` group.
ENTRY_POINT_NAME = "otel_agents"

_logger = logging.getLogger("otel_agents")
_AUTO_DIR = os.path.join("opentelemetry", "instrumentation", "auto_instrumentation")
_done = False
_starting = False


def run() -> None:
    """Instrument this process from the environment; called once per interpreter start."""
    global _done, _starting
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
    _starting = True
    try:
        from otel_agents.auto.instrumentor import AgentInstrumentor

        AgentInstrumentor().instrument()
    except ConfigurationError as exc:
        fail(exc)
    except Exception as exc:
        # An internal failure must not stop the application: it runs uninstrumented.
        _logger.warning(
            "otel-agents: auto-instrumentation failed; running without it: %r", exc, exc_info=exc
        )
    finally:
        _starting = False


def auto_instrument_flag() -> bool | None:
    """``OTEL_AGENTS_AUTO_INSTRUMENT`` as True/False, None when unset; a typo raises."""
    raw = os.environ.get(FLAG_ENV, "")
    return parse_bool(raw, FLAG_ENV) if raw.strip() else None


def disabled_by_otel() -> bool:
    """Whether ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` names us (or is ``*``)."""
    names = {name.strip() for name in os.environ.get(DISABLED_ENV, "").split(",")}
    return ENTRY_POINT_NAME in names or "*" in names


def in_startup() -> bool:
    """True while the interpreter is starting up (our hook or OpenTelemetry's).

    Configuration errors found then stop the process with a message, because
    ``site`` would otherwise print a traceback and run the application uninstrumented.
    """
    if _starting:
        return True
    module = sys.modules.get("sitecustomize")
    origin = getattr(module, "__file__", None) or ""
    spec = getattr(module, "__spec__", None)
    return _AUTO_DIR in origin and bool(getattr(spec, "_initializing", False))


def fail(exc: BaseException) -> NoReturn:
    """Stop at start-up with a clear message (no traceback: it is a configuration error)."""
    sys.stderr.write(
        f"otel-agents: {exc}\n"
        f"otel-agents: stopping before the application starts. Fix the setting, or set "
        f"{FLAG_ENV}=false to run without auto-instrumentation.\n"
    )
    sys.stderr.flush()
    # SystemExit raised inside `site` turns into a fatal-error dump; exit plainly instead.
    os._exit(2)


def _under_opentelemetry_instrument() -> bool:
    argv0 = os.path.basename(sys.argv[0]) if getattr(sys, "argv", None) else ""
    if argv0.startswith("opentelemetry-instrument"):
        return True  # the launcher only re-executes the program, which starts up again
    python_path = os.environ.get("PYTHONPATH", "")
    return any(entry.rstrip(os.sep).endswith(_AUTO_DIR) for entry in python_path.split(os.pathsep))
