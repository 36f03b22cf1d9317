"""The auto-instrumentation flag and start-up failure, shared by the hook and the instrumentor."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from otel_agents.env import parse_bool

#: Turns auto-instrumentation on (``true``) or off (``false``) in every start-up path.
FLAG_ENV = "OTEL_AGENTS_AUTO_INSTRUMENT"
#: OpenTelemetry's list of instrumentations to skip, by entry-point name.
DISABLED_ENV = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
#: Our entry-point name in the ``opentelemetry_instrumentor`` group.
ENTRY_POINT_NAME = "otel_agents"

AUTO_DIR = os.path.join("opentelemetry", "instrumentation", "auto_instrumentation")
#: True while our start-up hook is instrumenting the process.
starting = False


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
    if starting:
        return True
    module = sys.modules.get("sitecustomize")
    origin = getattr(module, "__file__", None) or ""
    spec = getattr(module, "__spec__", None)
    return AUTO_DIR in origin and bool(getattr(spec, "_initializing", False))


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
