"""Target patterns: which functions and methods auto-instrumentation wraps.

A pattern is ``[kind:]module:qualname[+|@attr][;name=RULE]``::

    myapp.agents:*Agent.execute        agent (the default kind): execute of every *Agent class
    tool:myapp.tools:search_*          tools: module-level functions named search_*
    workflow:myapp.flows:nightly       a workflow function
    myapp.base:BaseAgent.run+          run on BaseAgent and every override in its subclasses,
                                       including subclasses defined later
    myapp.*:Planner.plan               every module under myapp (``*`` crosses dots)
    myapp.base:BaseAgent.run+;name=self.name
                                       named after each agent's ``name`` attribute
    tool:agents.tool:FunctionTool.on_invoke_tool@attr;name=self.name
                                       the callable each instance holds in that attribute
    preset:openai-agents               a framework preset (see ``presets``)

Globs (``*``, ``?``, ``[abc]``) work in the module and in each qualname segment; matching
is case-sensitive. Only names *defined* in the module count, not names imported into it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import TYPE_CHECKING

from otel_agents._record import FrozenRecord
from otel_agents.errors import ConfigurationError
from otel_agents.semconv import ActionKind

if TYPE_CHECKING:
    from otel_agents.auto.naming import NameRule

#: The environment variable holding the comma-separated patterns.
TARGETS_ENV = "OTEL_AGENTS_TARGETS"

_KINDS = {kind.value: kind for kind in ActionKind}
# The characters of an identifier in which glob characters may stand for letters.
_SEGMENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*?[]!")
_GLOB_CHARS = frozenset("*?[")


class Target(FrozenRecord):
    """One parsed pattern.

    target = parse_target("tool:myapp.tools:search_*")
    target.kind, target.module, target.qualname   # ActionKind.TOOL, 'myapp.tools', ('search_*',)
    """

    __slots__ = (  # noqa: RUF023 (repr follows field order)
        "text",
        "kind",
        "module",
        "qualname",
        "hierarchy",
        "name_rule",
        "attribute",
        "preset",
    )
    text: str
    kind: ActionKind
    module: str
    qualname: tuple[str, ...]
    hierarchy: bool
    #: ``;name=`` rule: read the agent's or tool's name from the call.
    name_rule: NameRule | None
    #: ``@attr``: the member is an attribute holding a callable, wrapped per instance.
    attribute: bool
    #: The preset this target came from (its misses are not the user's mistakes).
    preset: str | None

    def __init__(
        self,
        text: str,
        kind: ActionKind,
        module: str,
        qualname: tuple[str, ...],
        hierarchy: bool = False,
        name_rule: NameRule | None = None,
        attribute: bool = False,
        preset: str | None = None,
    ) -> None:
        self._set(
            text=text,
            kind=kind,
            module=module,
            qualname=qualname,
            hierarchy=hierarchy,
            name_rule=name_rule,
            attribute=attribute,
            preset=preset,
        )

    @property
    def member_is_explicit(self) -> bool:
        """True when the last qualname segment is a plain name, not a glob."""
        return not _is_glob(self.qualname[-1])

    @property
    def module_is_glob(self) -> bool:
        """True when the module part has wildcards (then no single module name is known)."""
        return _is_glob(self.module)

    def matches_module(self, name: str) -> bool:
        """Whether a module called ``name`` is one this pattern looks into."""
        if not self.module_is_glob:
            return name == self.module
        return fnmatch.fnmatchcase(name, self.module)


def _is_segment(text: str) -> bool:
    return bool(text) and _SEGMENT_CHARS.issuperset(text)


def _is_glob(text: str) -> bool:
    return not _GLOB_CHARS.isdisjoint(text)


def segment_matches(glob: str, name: str) -> bool:
    """Match one qualname segment; names starting with ``_`` need a glob that does too.

    Without that rule ``Agent.*`` would wrap ``__init__``, ``__repr__`` and private helpers.
    """
    if name.startswith("_") and not glob.startswith("_"):
        return False
    return glob == name or (_is_glob(glob) and fnmatch.fnmatchcase(name, glob))


def parse_target(text: str, source: str = TARGETS_ENV) -> Target:
    """Parse one pattern; raise ``ConfigurationError`` naming it and the fix when malformed.

    parse_target("myapp.base:BaseAgent.run+").hierarchy   # True
    """
    pattern = text.strip()
    body, *options = pattern.split(";")
    if body.strip().lower().startswith("preset:"):
        raise _malformed(text, source, "presets are expanded by parse_entries(), not here")
    name_rule = None
    if options:
        from otel_agents.auto.naming import parse_name_rule  # only ;name= patterns need it
    for option in options:
        key, _, value = option.partition("=")
        if key.strip() != "name" or not value.strip():
            raise _malformed(text, source, f"unknown option {option.strip()!r}: use ;name=RULE")
        try:
            name_rule = parse_name_rule(value)
        except ValueError as exc:
            raise _malformed(text, source, str(exc)) from None
    parts = body.split(":")
    if len(parts) == 3:
        kind_text, module, qualname = parts
        kind = _KINDS.get(kind_text.strip().lower())
        if kind is None:
            raise _malformed(
                text, source, f"unknown kind {kind_text!r}: use one of {', '.join(_KINDS)}"
            )
    elif len(parts) == 2:
        kind, (module, qualname) = ActionKind.AGENT, parts
    else:
        raise _malformed(
            text, source, "expected [kind:]module:qualname, e.g. tool:myapp.tools:search_*"
        )
    module, qualname = module.strip(), qualname.strip()
    if not module or not all(_is_segment(seg) for seg in module.split(".")):
        raise _malformed(text, source, f"bad module part {module!r}: a dotted module name or glob")
    hierarchy = qualname.endswith("+")
    attribute = qualname.endswith("@attr")
    if hierarchy:
        qualname = qualname[:-1]
    elif attribute:
        qualname = qualname[: -len("@attr")]
    segments = tuple(qualname.split("."))
    if not qualname or not all(_is_segment(seg) for seg in segments):
        raise _malformed(
            text, source, f"bad qualname part {qualname!r}: use Class.method or a function name"
        )
    if hierarchy and len(segments) < 2:
        raise _malformed(text, source, "'+' applies to Class.method (method and its overrides)")
    if attribute and (len(segments) < 2 or _is_glob(segments[-1])):
        raise _malformed(text, source, "'@attr' applies to Class.attribute, named exactly")
    return Target(pattern, kind, module, segments, hierarchy, name_rule, attribute)


def parse_targets(text: str | Iterable[str], source: str = TARGETS_ENV) -> list[Target]:
    """Parse comma-separated patterns (or a list of them); empty entries are ignored.

    parse_targets("myapp.agents:*Agent.execute, tool:myapp.tools:*")
    parse_targets("preset:langgraph, tool:myapp.tools:*")   # a preset's own targets

    ``preset:NAME`` stands for that framework preset's targets; ``preset:auto`` for those
    of every framework installed.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    targets: list[Target] = []
    seen: set[str] = set()
    for item in items:
        entry = item.strip()
        if not entry or entry in seen:
            continue
        seen.add(entry)
        if entry.lower().startswith("preset:"):
            targets.extend(_preset_targets(entry, source, seen))
        else:
            targets.append(parse_target(entry, source))
    return targets


def preset_names(targets: Iterable[Target]) -> list[str]:
    """The presets these targets came from, in order, each once."""
    return list(dict.fromkeys(t.preset for t in targets if t.preset is not None))


def _preset_targets(entry: str, source: str, seen: set[str]) -> list[Target]:
    from otel_agents.auto.presets import AUTO, PRESETS, installed_presets

    name = entry.split(":", 1)[1].strip().lower()
    if name == AUTO:
        chosen = [preset for preset, _ in installed_presets()]
    elif name in PRESETS:
        chosen = [PRESETS[name]]
    else:
        known = ", ".join([*PRESETS, AUTO])
        raise _malformed(entry, source, f"unknown preset {name!r}: use one of {known}")
    targets: list[Target] = []
    for preset in chosen:
        for text in preset.targets:
            if text not in seen:
                seen.add(text)
                targets.append(parse_target(text, source).replace(preset=preset.name))
    return targets


def _malformed(text: str, source: str, fix: str) -> ConfigurationError:
    return ConfigurationError(f"malformed target pattern {text.strip()!r} in {source}: {fix}")
