"""Run a callback on every module a pattern names, whether imported before or after.

Modules already imported are handled at ``start()``. For later ones a meta-path finder,
placed first, finds nothing itself: for a watched name it asks the other finders for the
spec and wraps its loader, so the callback runs right after the module body ran and
before the code that imported it gets it back (what wrapt's post-import hooks do, without
importing wrapt and ``importlib.metadata`` at start-up).
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
        self._exact = frozenset(exact)
        glob_list = sorted(set(globs))
        self._glob: re.Pattern[str] | None = (
            re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in glob_list))
            if glob_list
            else None
        )
        self._finder: _PostImportFinder | None = None

    def start(self) -> None:
        """Watch later imports; modules already imported are handled now."""
        self._finder = _PostImportFinder(self)
        sys.meta_path.insert(0, self._finder)
        for name, module in list(sys.modules.items()):
            if module is not None and self._matches(name):
                self._on_import(module)

    def stop(self) -> None:
        """Stop reacting to imports."""
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

    def _matches(self, fullname: str) -> bool:
        return fullname in self._exact or (
            self._glob is not None and self._glob.fullmatch(fullname) is not None
        )

    def _wants(self, fullname: str) -> bool:
        return self._active and fullname not in self._seen and self._matches(fullname)


class _PostImportFinder:
    """Finds nothing itself: hands back the others' spec with a loader that calls back."""

    def __init__(self, watch: ImportWatch) -> None:
        self._watch = watch
        self._looking = threading.local()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if getattr(self._looking, "name", None) == fullname or not self._watch._wants(fullname):
            return None
        self._looking.name = fullname  # the others are asked below: do not answer twice
        try:
            spec = _spec_from_others(self, fullname, path, target)
        finally:
            self._looking.name = None
        loader = getattr(spec, "loader", None)
        if spec is None or not hasattr(loader, "exec_module"):
            return None  # let the import system find it as usual
        spec.loader = _CallbackAfterLoading(loader, self._watch)  # type: ignore[assignment]
        return spec

    def invalidate_caches(self) -> None:
        return None


def _spec_from_others(me: object, fullname: str, path: Any, target: Any) -> ModuleSpec | None:
    # As the import system would: every other finder in order, the first spec wins.
    for finder in list(sys.meta_path):
        find_spec = getattr(finder, "find_spec", None)
        if finder is me or find_spec is None:
            continue
        spec: ModuleSpec | None = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _CallbackAfterLoading:
    """Runs the module as its own loader would, puts that loader back, then calls back."""

    def __init__(self, loader: Any, watch: ImportWatch) -> None:
        self._loader = loader
        self._watch = watch

    def create_module(self, spec: ModuleSpec) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        try:
            self._loader.exec_module(module)
        finally:
            if module.__spec__ is not None:
                module.__spec__.loader = self._loader
            module.__loader__ = self._loader
        self._watch._on_import(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_code, get_data, is_package, ...
