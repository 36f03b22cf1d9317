"""Start-up hook of ``OTEL_AGENTS_AUTO_INSTRUMENT``, kept outside the ``otel_agents`` package.

``otel_agents_auto.pth`` imports this module at each interpreter start where the flag is
set. Importing anything under ``otel_agents`` would load the package (decorators, the
OpenTelemetry API) and the real hook would set up the SDK: ~150 ms of CPU for a process
that may never touch an agent (a CLI tool, a subprocess, pip). So when the settings look
ordinary this module only watches imports: right after the first target module (or
``otel_agents`` itself, for hand-decorated code) has loaded, and before the code that
imported it gets it back, the real hook (``otel_agents.auto._startup``) runs: it checks
every setting, sets up the SDK and wraps the targets, that module included.

Anything unusual (a flag value other than a plain true, no targets, a framework preset, a
pattern this module cannot read, a target already imported, ``opentelemetry-instrument``)
runs the real hook at once instead, so those configuration errors still stop the process
at start-up.
"""

from __future__ import annotations

import os
import sys

# typing alone costs more at start-up than the rest of this module: annotations only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_FLAG_ENV = "OTEL_AGENTS_AUTO_INSTRUMENT"
_TARGETS_ENV = "OTEL_AGENTS_TARGETS"
_DISABLED_ENV = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
_PLAIN_TRUE = frozenset({"true", "1", "yes", "on"})
_KINDS = frozenset({"agent", "tool", "workflow"})
_GLOB_CHARS = frozenset("*?[")
_OTEL_AUTO_DIR = os.path.join("opentelemetry", "instrumentation", "auto_instrumentation")
_ran = False


def run() -> None:
    """Watch for the first target import, or start the real hook now when unsure."""
    global _ran
    if _ran:  # a site dir reachable twice (lib and a lib64 symlink) runs the .pth twice
        return
    _ran = True
    watched = _watched_modules()
    if watched is None:
        _start_now()
        return
    finder = _FirstTargetImport(*watched)
    sys.meta_path.insert(0, finder)
    import atexit

    atexit.register(finder.report_if_never_imported)


def _start_now() -> None:
    from otel_agents.auto import _startup

    _startup.run()


def _watched_modules() -> tuple[set[str], list[str], list[str]] | None:
    """(exact module names, module globs, patterns) to wait for; None: start now."""
    env = os.environ
    if env.get(_FLAG_ENV, "").strip().lower() not in _PLAIN_TRUE or env.get(_DISABLED_ENV):
        return None
    argv0 = os.path.basename(sys.argv[0]) if getattr(sys, "argv", None) else ""
    if argv0.startswith("opentelemetry-instrument") or _OTEL_AUTO_DIR in env.get("PYTHONPATH", ""):
        return None
    patterns = [p.strip() for p in env.get(_TARGETS_ENV, "").split(",") if p.strip()]
    if not patterns:
        return None  # the flag alone sets up the SDK for hand-decorated code
    exact, globs = {"otel_agents"}, []
    for pattern in patterns:
        if pattern.lower().startswith("preset:"):
            return None  # which modules a preset names is the real hook's business
        parts = pattern.split(":")
        if len(parts) == 3 and parts[0].strip() in _KINDS:
            module = parts[1].strip()
        elif len(parts) == 2:
            module = parts[0].strip()
        else:
            return None  # let the real parser name the mistake, at start-up
        if not module:
            return None
        if _GLOB_CHARS.intersection(module):
            globs.append(module)
        else:
            exact.add(module)
    if any(name in sys.modules for name in exact):
        return None
    if globs:
        from fnmatch import fnmatchcase

        if any(fnmatchcase(name, glob) for name in list(sys.modules) for glob in globs):
            return None
    return exact, globs, patterns


class _FirstTargetImport:
    """A meta-path finder that finds nothing itself: it runs the real hook once, right
    after the first watched module has been executed, then steps out of the way."""

    def __init__(self, exact: set[str], globs: list[str], patterns: list[str]) -> None:
        self._exact = exact
        self._globs = globs
        self._patterns = patterns
        self._triggered = False

    def _wants(self, fullname: str) -> bool:
        if fullname in self._exact:
            return True
        if not self._globs:
            return False
        from fnmatch import fnmatchcase

        return any(fnmatchcase(fullname, glob) for glob in self._globs)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if self._triggered or not self._wants(fullname):
            return None
        self._triggered = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = _spec_from_others(fullname, path, target)
        loader = getattr(spec, "loader", None)
        if spec is None or not hasattr(loader, "exec_module"):
            _start_now()
            return spec
        spec.loader = _StartAfterLoading(loader)
        return spec

    def invalidate_caches(self) -> None:
        return None

    def report_if_never_imported(self) -> None:
        if self._triggered:
            return  # the real hook reports its own unmatched patterns
        for pattern in self._patterns:
            sys.stderr.write(
                f"otel-agents: target pattern {pattern!r} matched nothing: no module it "
                "names was imported, or none matched\n"
            )


def _spec_from_others(fullname: str, path: Any, target: Any) -> Any:
    # The import system has already passed the finders placed ahead of this one: ask the
    # others in order, as it would have.
    for finder in list(sys.meta_path):
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        spec = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _StartAfterLoading:
    """Runs the module as its own loader would, then the real hook: the module is in
    ``sys.modules`` by then, so the hook wraps it before its importer sees it."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: Any) -> None:
        try:
            self._loader.exec_module(module)
        finally:
            module.__spec__.loader = self._loader
            module.__loader__ = self._loader
        _start_now()

    def get_code(self, fullname: str) -> Any:
        # runpy (``python -m target``) runs the code itself as ``__main__``: start first.
        _start_now()
        return self._loader.get_code(fullname)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_data, is_package, get_resource_reader ...
