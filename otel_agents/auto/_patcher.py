"""Apply target patterns to an imported module, and undo every change exactly.

Each replacement is recorded as (owner, name, what was there before), so ``restore()``
puts back the very objects it found, or removes what it added. ``Class.method+`` targets
also put an ``__init_subclass__`` on the base class, so subclasses defined later get their
overrides wrapped the moment they are created.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from otel_agents._state import RUNTIME
from otel_agents.auto._overrides import wrap_override
from otel_agents.auto.targets import Target, segment_matches
from otel_agents.instrument.decorators import wrap_method_descriptor
from otel_agents.instrument.spec import SPEC_ATTRIBUTE
from otel_agents.semconv import ActionKind

_logger = logging.getLogger("otel_agents")
_MISSING: Any = object()
_SUBCLASS_HOOK = "__init_subclass__"


@dataclasses.dataclass
class _Patch:
    owner: Any
    name: str
    original: Any
    replacement: Any


class Patcher:
    """Wraps what ``targets`` match; reports each pattern that matches nothing, once."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = list(targets)
        self.active = True
        self._patches: list[_Patch] = []
        self._matched: set[Target] = set()
        self._warned: set[Target] = set()
        self._hierarchies: dict[type, list[Target]] = {}
        self._lock = threading.RLock()

    @property
    def wrapped_count(self) -> int:
        """How many functions and methods are wrapped now (hooks on base classes excluded)."""
        return sum(1 for patch in self._patches if patch.name != _SUBCLASS_HOOK)

    def apply_to_module(self, module: ModuleType) -> None:
        """Wrap whatever the targets match in ``module``; never raises."""
        name = module.__name__
        for target in self.targets:
            if not target.matches_module(name):
                continue
            try:
                with self._lock:
                    if not self.active:
                        return
                    found = self._apply(target, module)
            except Exception as exc:
                RUNTIME.report_internal_error(f"instrumenting {target.text!r} in {name}", exc)
                continue
            if found:
                self._matched.add(target)
            elif not target.module_is_glob:
                self._warn_unmatched(
                    target, f"module {name} defines nothing named {'.'.join(target.qualname)}"
                )

    def warn_unmatched(self) -> None:
        """Warn about every pattern that never matched (called at exit)."""
        for target in self.targets:
            if target not in self._matched:
                self._warn_unmatched(target, "no module it names was imported, or none matched")

    def restore(self) -> None:
        """Put back every original; leaves alone anything replaced again since."""
        with self._lock:
            self.active = False
            for patch in reversed(self._patches):
                current = vars(patch.owner).get(patch.name, _MISSING)
                if current is not patch.replacement:
                    continue  # someone patched over us: restoring would drop their change
                if patch.original is _MISSING:
                    delattr(patch.owner, patch.name)
                else:
                    setattr(patch.owner, patch.name, patch.original)
            self._patches.clear()
            self._hierarchies.clear()

    # -- matching ------------------------------------------------------------------------
    def _apply(self, target: Target, module: ModuleType) -> bool:
        *class_globs, member_glob = target.qualname
        owners: list[Any] = [module]
        for glob in class_globs:
            owners = [
                value
                for owner in owners
                for attr, value in list(vars(owner).items())
                if isinstance(value, type)
                and value.__module__ == module.__name__
                and segment_matches(glob, attr)
            ]
        if not owners:
            return False
        if target.hierarchy:
            for base in owners:
                self._add_hierarchy(base, target)
            return True  # the base exists: its overrides may well be defined later
        found = False
        for owner in owners:
            for attr, raw in list(vars(owner).items()):
                if not segment_matches(member_glob, attr):
                    continue
                if isinstance(owner, ModuleType):
                    if not (inspect.isfunction(raw) and raw.__module__ == module.__name__):
                        continue
                elif not _is_method(raw):
                    continue
                found = True
                self._wrap_member(owner, attr, raw, target, hierarchy=False)
        return found

    def _wrap_member(
        self, owner: Any, attr: str, raw: Any, target: Target, *, hierarchy: bool
    ) -> None:
        if _already_instrumented(raw):
            return  # decorated by hand or matched by another pattern: one span is enough
        options: dict[str, Any] = {}
        if isinstance(owner, type) and target.kind is not ActionKind.TOOL:
            # Like @agent on a class: the agent (or workflow) is named after its class.
            options["owner_name"] = owner.__name__
        if hierarchy:
            replacement = wrap_override(owner, attr, raw, target.kind, options)
        else:
            replacement = wrap_method_descriptor(raw, target.kind, options)
        if replacement is raw:
            return
        setattr(owner, attr, replacement)
        self._patches.append(_Patch(owner, attr, raw, replacement))

    # -- Class.method+ -------------------------------------------------------------------
    def _add_hierarchy(self, base: type, target: Target) -> None:
        rules = self._hierarchies.get(base)
        if rules is None:
            rules = self._hierarchies[base] = []
            self._install_subclass_hook(base)
        if target not in rules:
            rules.append(target)
        for cls in (base, *_all_subclasses(base)):
            self._wrap_overrides(cls, target)

    def _wrap_overrides(self, cls: type, target: Target) -> None:
        member_glob = target.qualname[-1]
        for attr, raw in list(vars(cls).items()):
            if segment_matches(member_glob, attr) and _is_method(raw):
                self._wrap_member(cls, attr, raw, target, hierarchy=True)

    def _on_new_subclass(self, base: type, cls: type) -> None:
        with self._lock:
            if not self.active:
                return
            for target in self._hierarchies.get(base, ()):
                self._wrap_overrides(cls, target)

    def _install_subclass_hook(self, base: type) -> None:
        original = vars(base).get(_SUBCLASS_HOOK, _MISSING)
        patcher = self

        def __init_subclass__(cls: type, /, **kwargs: Any) -> None:
            if original is _MISSING:
                # The next __init_subclass__ in the MRO after base, as `super()` there would.
                super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
            else:
                original.__get__(None, cls)(**kwargs)
            try:
                patcher._on_new_subclass(base, cls)
            except Exception as exc:
                RUNTIME.report_internal_error(f"instrumenting subclass {cls.__qualname__}", exc)

        hook: Any = classmethod(__init_subclass__)
        setattr(base, _SUBCLASS_HOOK, hook)
        self._patches.append(_Patch(base, _SUBCLASS_HOOK, original, hook))

    def _warn_unmatched(self, target: Target, why: str) -> None:
        if target in self._warned or target in self._matched:
            return
        self._warned.add(target)
        _logger.warning("otel-agents: target pattern %r matched nothing: %s", target.text, why)


def _is_method(raw: Any) -> bool:
    if isinstance(raw, (staticmethod, classmethod)):
        return inspect.isfunction(raw.__func__)
    return inspect.isfunction(raw)


def _already_instrumented(raw: Any) -> bool:
    fn = getattr(raw, "__func__", raw)
    for _ in range(32):  # bounded: a __wrapped__ cycle must not hang start-up
        if getattr(fn, SPEC_ATTRIBUTE, None) is not None:
            return True
        fn = getattr(fn, "__wrapped__", None)
        if fn is None:
            return False
    return False


def _all_subclasses(base: type) -> list[type]:
    found: list[type] = []
    pending: list[type] = list(type.__subclasses__(base))
    seen: set[int] = set()
    while pending:
        cls = pending.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        found.append(cls)
        pending.extend(type.__subclasses__(cls))
    return found
