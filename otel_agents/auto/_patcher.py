"""Apply target patterns to an imported module, and undo every change exactly.

Each replacement is recorded as (owner, name, what was there before), so ``restore()``
puts back the very objects it found, or removes what it added. ``Class.method+`` targets
also put an ``__init_subclass__`` on the base class, so subclasses defined later get their
overrides wrapped the moment they are created.
"""

from __future__ import annotations

import dis
import inspect
import logging
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from otel_agents._state import RUNTIME
from otel_agents.auto._traced import SPEC_ATTRIBUTE, TracedTarget, traced
from otel_agents.auto.targets import Target, segment_matches
from otel_agents.semconv import ActionKind

_logger = logging.getLogger("otel_agents")
_MISSING: Any = object()
_SUBCLASS_HOOK = "__init_subclass__"


class _Patch:
    __slots__ = ("name", "original", "owner", "replacement")

    def __init__(self, owner: Any, name: str, original: Any, replacement: Any) -> None:
        self.owner = owner
        self.name = name
        self.original = original
        self.replacement = replacement


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
        from otel_agents.auto._attributes import TracedAttribute

        with self._lock:
            self.active = False
            for patch in reversed(self._patches):
                if isinstance(patch.replacement, TracedAttribute):
                    patch.replacement.active = False  # values already handed out call through
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
        owners = matching_classes(target, module)
        if owners is None:
            return False
        if not owners:
            self._explain_missing_class(target, module)
            return False
        if target.attribute:
            for owner in owners:
                self._wrap_attribute(owner, target)
            return True
        if target.hierarchy:
            for base in owners:
                self._add_hierarchy(base, target)
            return True  # the base exists: its overrides may well be defined later
        found = False
        for owner in owners:
            for attr, raw in matching_members(target, owner, module.__name__):
                found = True
                self._wrap_member(owner, attr, raw, target, hierarchy=False)
        if not found:
            for owner in owners:
                self._explain_inherited(target, owner)
        return found

    def _wrap_member(
        self, owner: Any, attr: str, raw: Any, target: Target, *, hierarchy: bool
    ) -> None:
        if _already_instrumented(raw):
            return  # decorated by hand or matched by another pattern: one span is enough
        replacement = wrap_member(owner, raw, target, by_receiver_class=hierarchy)
        if replacement is raw:
            return
        setattr(owner, attr, replacement)
        self._patches.append(_Patch(owner, attr, raw, replacement))

    def _wrap_attribute(self, owner: type, target: Target) -> None:
        # Loaded by the first @attr target only, like everything only some patterns use.
        from otel_agents.auto._attributes import TracedAttribute

        name = target.qualname[-1]
        current = vars(owner).get(name, _MISSING)
        if isinstance(current, TracedAttribute):
            return  # another pattern got here first
        kind, rule = target.kind, target.name_rule

        def make_call(raw: Any, holder: Any) -> Any:
            spec_target = TracedTarget(
                raw,
                kind,
                name_rule=rule,
                fallback_name=None if kind is ActionKind.TOOL else type(holder).__name__,
                by_receiver_class=False,
                receiver_in_args=False,
            )
            return traced(raw, spec_target, receiver=holder, copy_metadata=False)

        descriptor = TracedAttribute(name, current, make_call)
        setattr(owner, name, descriptor)
        self._patches.append(_Patch(owner, name, current, descriptor))

    def _explain_missing_class(self, target: Target, module: ModuleType) -> None:
        if target.module_is_glob or target.preset:
            return
        glob = target.qualname[0]
        imported = [
            value
            for attr, value in vars(module).items()
            if isinstance(value, type) and segment_matches(glob, attr)
        ]
        if imported:
            cls = imported[0]
            hint = ".".join((cls.__name__, *target.qualname[1:]))
            self._warn_unmatched(
                target,
                f"{module.__name__} imports {glob} from {cls.__module__}; "
                f"use '{_pattern_text(target, cls.__module__, hint)}'",
            )

    def _explain_inherited(self, target: Target, owner: Any) -> None:
        if not isinstance(owner, type) or not target.member_is_explicit:
            return
        name = target.qualname[-1]
        definer = next((base for base in owner.__mro__[1:] if name in vars(base)), None)
        if definer is None or definer is object:
            return
        qualname = f"{definer.__qualname__}.{name}"
        self._warn_unmatched(
            target,
            f"{owner.__qualname__} inherits {name} from {definer.__module__}.{qualname}; "
            f"use '{_pattern_text(target, definer.__module__, qualname, '+')}' "
            f"(it and every override; subclasses are named after themselves)",
        )

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
        self._check_hierarchy(base, target)

    def _wrap_overrides(self, cls: type, target: Target) -> None:
        for attr, raw in matching_members(target, cls, None):
            self._wrap_member(cls, attr, raw, target, hierarchy=True)

    def _check_hierarchy(self, base: type, target: Target) -> None:
        """A ``+`` pattern whose base only inherits the method: name the defining class."""
        name = target.qualname[-1]
        if not target.member_is_explicit or target.preset:
            return
        if any(name in vars(cls) for cls in (base, *_all_subclasses(base))):
            return
        definer = next((c for c in base.__mro__[1:] if name in vars(c)), None)
        if definer is None or definer is object:
            why = f"neither {base.__qualname__} nor any subclass defines {name}"
        else:
            qualname = f"{definer.__qualname__}.{name}"
            why = (
                f"{base.__qualname__} only inherits {name} from "
                f"{definer.__module__}.{qualname}; use "
                f"'{_pattern_text(target, definer.__module__, qualname, '+')}'"
            )
        self._warn_unmatched(target, why)

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
        if target in self._warned:
            return
        self._warned.add(target)
        if target.preset is not None:
            # A preset lists what each tested version has; another version may lack some.
            _logger.debug("otel-agents: preset target %r matched nothing: %s", target.text, why)
            return
        _logger.warning("otel-agents: target pattern %r matched nothing: %s", target.text, why)


def matching_classes(target: Target, module: ModuleType) -> list[Any] | None:
    """The classes (or the module itself) holding the target's members; None if no class."""
    *class_globs, _ = target.qualname
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
    return owners


def matching_members(target: Target, owner: Any, module_name: str | None) -> list[tuple[str, Any]]:
    """Members of ``owner`` the pattern wraps: functions and methods it defines itself.

    A glob skips dunder methods (``__call__`` aside) and accessors, methods whose body
    calls nothing (``return self._name``): their spans would be noise. Naming a member
    exactly always wraps it.
    """
    member_glob = target.qualname[-1]
    explicit = target.member_is_explicit
    found: list[tuple[str, Any]] = []
    for attr, raw in list(vars(owner).items()):
        if not segment_matches(member_glob, attr):
            continue
        if isinstance(owner, ModuleType):
            if not (inspect.isfunction(raw) and raw.__module__ == module_name):
                continue
        elif not _is_method(raw):
            continue
        if not explicit and isinstance(owner, type) and (_is_dunder(attr) or _is_accessor(raw)):
            continue
        found.append((attr, raw))
    return found


def wrap_member(owner: Any, raw: Any, target: Target, *, by_receiver_class: bool) -> Any:
    """The traced replacement for ``raw`` (a function, staticmethod or classmethod)."""
    is_class = isinstance(owner, type)
    fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    kind = target.kind
    spec_target = TracedTarget(
        fn,
        kind,
        name_rule=target.name_rule,
        fallback_name=owner.__name__ if is_class and kind is not ActionKind.TOOL else None,
        by_receiver_class=by_receiver_class,
        receiver_in_args=is_class and not isinstance(raw, staticmethod),
    )
    wrapper = traced(fn, spec_target)
    if isinstance(raw, staticmethod):
        return staticmethod(wrapper)
    if isinstance(raw, classmethod):
        return classmethod(wrapper)
    return wrapper


def _pattern_text(target: Target, module: str, qualname: str, suffix: str = "") -> str:
    kind = "" if target.kind is ActionKind.AGENT else f"{target.kind.value}:"
    rule = f";name={target.name_rule.text}" if target.name_rule else ""
    return f"{kind}{module}:{qualname}{suffix}{rule}"


def _is_method(raw: Any) -> bool:
    if isinstance(raw, (staticmethod, classmethod)):
        return inspect.isfunction(raw.__func__)
    return inspect.isfunction(raw)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and name != "__call__"


_CALLS = frozenset({"CALL", "CALL_FUNCTION", "CALL_METHOD", "CALL_FUNCTION_EX", "CALL_KW"})


def _is_accessor(raw: Any) -> bool:
    fn = getattr(raw, "__func__", raw)
    try:
        return not any(ins.opname in _CALLS for ins in dis.get_instructions(fn))
    except (TypeError, ValueError):
        return False


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
