"""Naming rules: which agent or tool a call is about, read from the call itself.

A target pattern may end with ``;name=RULE``. A rule is one or more paths separated by
``|``, tried in order; the first that yields a non-empty string names the span::

    self.name                 the receiver's ``name`` (an agent's or a tool's own name)
    self.role|self.name       CrewAI agents: the role, else the name
    starting_agent.name       the ``name`` of the argument called ``starting_agent``
    arg0.name                 the ``name`` of the first argument after ``self``
    name                      the argument called ``name`` itself (a tool name passed in)

A path starts at ``self`` (the receiver; for ``@attr`` targets the object holding the
attribute), ``argN`` (the N-th positional argument after the receiver) or a parameter
name, and follows attributes from there. When every path fails, the span keeps the
qualname rule: agents and workflows are named after their class, tools after their
function. Reading a name never raises: a failing attribute counts as missing.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from otel_agents._record import FrozenRecord

#: Names longer than this are cut: a span name must stay a low-cardinality label.
MAX_NAME_LENGTH = 128

# Compiled on first use by re's own cache: most processes never parse a name rule.
_PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
_ARG = r"^arg([0-9])$"

Resolver = Callable[[Any, tuple[Any, ...], dict[str, Any]], "str | None"]


class NameRule(FrozenRecord):
    """A parsed ``name=`` rule: paths tried in order.

    rule = parse_name_rule("self.role|self.name")
    rule.paths   # (('self', ('role',)), ('self', ('name',)))
    """

    __slots__ = ("text", "paths")  # noqa: RUF023 (repr follows field order)
    text: str
    paths: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(self, text: str, paths: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self._set(text=text, paths=paths)


def parse_name_rule(text: str) -> NameRule:
    """Parse ``self.name|arg0.name``; raise ``ValueError`` saying what is wrong."""
    paths: list[tuple[str, tuple[str, ...]]] = []
    for raw in text.split("|"):
        path = raw.strip()
        if not re.match(_PATH, path):
            raise ValueError(
                f"bad name rule {path!r}: use a dotted path such as self.name, arg0.name "
                f"or a parameter name, several separated by |"
            )
        root, *attrs = path.split(".")
        paths.append((root, tuple(attrs)))
    return NameRule(text.strip(), tuple(paths))


def compile_rule(rule: NameRule, fn: Any, *, receiver_in_args: bool) -> Resolver:
    """A resolver ``(receiver, args, kwargs) -> name | None`` for calls of ``fn``.

    Parameter positions are looked up once here, so a call only indexes and reads
    attributes. ``receiver_in_args`` says whether ``args[0]`` is ``self``/``cls``.
    """
    offset = 1 if receiver_in_args else 0
    positions = _parameter_positions(fn)
    getters: list[Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]] = []
    for root, attrs in rule.paths:
        getters.append(_path_getter(root, attrs, offset, positions))

    def resolve(receiver: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        for getter in getters:
            try:
                value = getter(receiver, args, kwargs)
            except Exception:
                continue
            if isinstance(value, str) and value:
                return value[:MAX_NAME_LENGTH]
        return None

    return resolve


def _path_getter(
    root: str, attrs: tuple[str, ...], offset: int, positions: dict[str, int]
) -> Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]:
    missing = object()

    def follow(value: Any) -> Any:
        for attr in attrs:
            value = getattr(value, attr)
        return value

    if root == "self":
        return lambda receiver, args, kwargs: follow(receiver)
    arg = re.match(_ARG, root)
    if arg is not None:
        index = offset + int(arg.group(1))
        return lambda receiver, args, kwargs: follow(args[index])
    position = positions.get(root)

    def by_parameter(receiver: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        value = kwargs.get(root, missing)
        if value is missing:
            if position is None or position >= len(args):
                return None
            value = args[position]
        return follow(value)

    return by_parameter


def _parameter_positions(fn: Any) -> dict[str, int]:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return {p.name: i for i, p in enumerate(parameters) if p.kind in positional}
