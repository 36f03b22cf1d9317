"""The transparent proxy of an ``@attr`` target's callable (see ``_attributes``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

import wrapt


class Switch(Protocol):
    """What the proxy reads of its ``TracedAttribute``: whether tracing is on."""

    active: bool


class TracedValue(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """The callable from an instance attribute, traced when called."""

    def __init__(self, raw: Any, holder: Any, call: Callable[..., Any], attribute: Switch) -> None:
        super().__init__(raw)
        self._self_holder = holder
        self._self_call = call
        self._self_attribute = attribute

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._self_attribute.active:
            return self._self_call(*args, **kwargs)
        return self.__wrapped__(*args, **kwargs)

    def __copy__(self) -> Any:
        return copy.copy(self.__wrapped__)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self.__wrapped__, memo)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self.__wrapped__.__reduce_ex__(protocol)
