"""``Class.attr@attr`` targets: a callable held in an attribute, traced per instance.

Some frameworks keep a tool's code in a field (the OpenAI Agents SDK's
``FunctionTool.on_invoke_tool``), set per instance, so there is no method to wrap. A
data descriptor put on the class in that attribute's place stores what is assigned
unchanged and, when the attribute is read, hands out the callable wrapped in a
transparent proxy (``wrapt.ObjectProxy``: ``isinstance``, attributes and signature
stay the original's) that traces each call, with ``self`` in naming rules being the
instance that holds it. The proxy is cached in the instance; copies made by copying
the instance's ``__dict__`` are re-wrapped for their new holder on first read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MISSING: Any = object()
_proxy_class: Any = None


def _traced_value_class() -> Any:
    # wrapt (and the importlib.metadata it loads) only once an @attr target is read.
    global _proxy_class
    if _proxy_class is None:
        from otel_agents.auto._traced_value import TracedValue

        _proxy_class = TracedValue
    return _proxy_class


class TracedAttribute:
    """Replaces ``owner.<name>``; ``original`` is what the class had there (or nothing)."""

    def __init__(
        self, name: str, original: Any, make_call: Callable[[Any, Any], Callable[..., Any]]
    ) -> None:
        self.name = name
        self.original = original
        self.active = True
        self._make_call = make_call
        # __slots__ classes keep the value in a member descriptor: store through it.
        self._slot = original if hasattr(type(original), "__set__") else None

    def __get__(self, holder: Any, owner: type | None = None) -> Any:
        if holder is None:
            if self.original is _MISSING:
                raise AttributeError(self.name)
            return self if self._slot is not None else self.original
        value = self._load(holder)
        traced_value = _traced_value_class()
        if isinstance(value, traced_value):
            if value._self_holder is holder and self.active:
                return value
            value = value.__wrapped__
        if not self.active or not callable(value):
            return value
        try:
            traced = traced_value(value, holder, self._make_call(value, holder), self)
            self._store(holder, traced)
        except Exception:
            return value  # cannot wrap this one: hand back the original, never fail
        return traced

    def __set__(self, holder: Any, value: Any) -> None:
        self._store(holder, value)

    def __delete__(self, holder: Any) -> None:
        if self._slot is not None:
            self._slot.__delete__(holder)
            return
        try:
            del holder.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def _load(self, holder: Any) -> Any:
        if self._slot is not None:
            return self._slot.__get__(holder, type(holder))
        try:
            return holder.__dict__[self.name]
        except (KeyError, AttributeError):
            if self.original is _MISSING:
                raise AttributeError(self.name) from None
            return (
                self.original.__get__(holder, type(holder))
                if hasattr(self.original, "__get__")
                else self.original
            )

    def _store(self, holder: Any, value: Any) -> None:
        if self._slot is not None:
            self._slot.__set__(holder, value)
        else:
            holder.__dict__[self.name] = value
