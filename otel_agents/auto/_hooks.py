"""Run a callback on every module a pattern names, whether imported before or after.

Exact module names use wrapt's post-import hooks directly. A module glob has no single
name to register, so a tiny finder placed ahead of wrapt's registers a wrapt hook for each
matching name the moment that module is first looked up; wrapt's own chained loader then
calls it right after the module body ran, before anyone else can import from it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import sys
import threading
from collections.abc import Callable, Iterable
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

import wrapt

from otel_agents._state import RUNTIME

ModuleCallback = Callable[[ModuleType], None]


class ImportWatch:
    """Calls ``callback(module)`` once for each matching module; ``stop()`` silences it."""

    def __init__(
        self, exact: Iterable[str], globs: Iterable[str], callback: ModuleCallback
    ) -> None:
        self._callback = callback
        self._active = True
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._exact = sorted(set(exact))
        glob_list = sorted(set(globs))
        self._glob: re.Pattern[str] | None = (
            re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in glob_list))
            if glob_list
            else None
        )
        self._finder: _GlobFinder | None = None

    def start(self) -> None:
        """Register the hooks; modules already imported are handled now."""
        for name in self._exact:
            wrapt.register_post_import_hook(self._on_import, name)
        if self._glob is None:
            return
        # wrapt puts its finder first when its first hook is registered; ours must come
        # before it, so make sure it exists, then insert ours.
        wrapt.register_post_import_hook(_ignore, "sys")
        self._finder = _GlobFinder(self)
        sys.meta_path.insert(0, self._finder)
        for name, module in list(sys.modules.items()):
            if module is not None and self._glob.fullmatch(name):
                self._on_import(module)

    def stop(self) -> None:
        """Stop reacting to imports. wrapt hooks cannot be removed, so they go inert."""
        self._active = False
        if self._finder is not None:
            with contextlib.suppress(ValueError):  # someone else already removed it
                sys.meta_path.remove(self._finder)
            self._finder = None

    def _on_import(self, module: ModuleType) -> None:
        name = getattr(module, "__name__", None)
        if not self._active or not isinstance(name, str):
            return
        with self._lock:
            if name in self._seen:
                return
            self._seen.add(name)
        try:
            self._callback(module)
        except Exception as exc:
            # A hook that raises would make the application's import fail.
            RUNTIME.report_internal_error(f"instrumenting module {name}", exc)

    def _wants(self, fullname: str) -> bool:
        return (
            self._active
            and self._glob is not None
            and fullname not in self._seen
            and self._glob.fullmatch(fullname) is not None
        )


class _GlobFinder:
    """Finds nothing itself: it only registers a wrapt hook for glob-matched names."""

    def __init__(self, watch: ImportWatch) -> None:
        self._watch = watch
        self._registered: set[str] = set()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname not in self._registered and self._watch._wants(fullname):
            self._registered.add(fullname)
            wrapt.register_post_import_hook(self._watch._on_import, fullname)
        return None

    def invalidate_caches(self) -> None:
        return None


def _ignore(module: ModuleType) -> None:
    return None
