"""Small immutable records for the modules the auto-instrumentation start-up imports.

    class Point(FrozenRecord):
        __slots__ = ("x", "y")
        def __init__(self, x: int, y: int) -> None:
            self._set(x=x, y=y)

A frozen dataclass generates and compiles ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` and ``__setattr__`` when its class is created (~0.5 ms each at every
interpreter start). These records give the same value behaviour (equality, hash, repr,
``replace()``, assignment refused) from one shared class, built once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: a TypeVar with a bound costs a compile at start-up
    from typing import TypeVar

    _R = TypeVar("_R", bound="FrozenRecord")


class FrozenRecord:
    """Value semantics from ``__slots__``: equal when the type and every slot are equal."""

    __slots__ = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = self.__slots__  # the subclass's fields, in order
        return names

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._names())

    def replace(self: _R, **changes: Any) -> _R:
        """A copy with ``changes`` applied, as ``dataclasses.replace`` makes one."""
        values = {name: getattr(self, name) for name in self._names()}
        values.update(changes)
        return type(self)(**values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), {name: getattr(self, name) for name in self._names()}))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names())
        return f"{type(self).__name__}({fields})"


def _rebuild(cls: type[_R], values: dict[str, Any]) -> _R:
    """Unpickle (and copy) without calling ``__init__``, as a dataclass would be."""
    record = cls.__new__(cls)
    record._set(**values)
    return record
