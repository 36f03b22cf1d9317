"""The JSON Schemas otel-agents publishes (draft 2020-12), shipped as package data."""

from __future__ import annotations

import functools
import json
import os
from typing import Any


@functools.lru_cache(maxsize=4)
def load(file_name: str) -> dict[str, Any]:
    """A schema of this package by file name, e.g. ``load("outcome-event-v1.json")``."""
    # Next to this module: the package is always installed as files (no zip import),
    # and importlib.resources costs ~8 ms at start-up.
    with open(os.path.join(os.path.dirname(__file__), file_name), encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema
