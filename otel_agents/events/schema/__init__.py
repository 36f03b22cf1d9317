"""The JSON Schemas otel-agents publishes (draft 2020-12), shipped as package data."""

from __future__ import annotations

import functools
import importlib.resources
import json
from typing import Any


@functools.lru_cache(maxsize=4)
def load(file_name: str) -> dict[str, Any]:
    """A schema of this package by file name, e.g. ``load("outcome-event-v1.json")``."""
    text = importlib.resources.files(__name__).joinpath(file_name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
