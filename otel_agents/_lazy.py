"""Module attributes that load on first use (PEP 562), for the modules start-up imports.

    _LAZY = {"configure": "otel_agents.export.configure"}
    __getattr__ = lazy_attributes(globals(), _LAZY)

The first read of a listed name imports its module and stores the value in the module's
globals, so later reads are plain attribute lookups and never call ``__getattr__`` again.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(namespace: dict[str, Any], table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` loading each name of ``table`` from the module it names."""
    module = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value  # later lookups skip this function
        return value

    return __getattr__
