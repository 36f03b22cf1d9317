"""JSON Schemas (draft 2020-12) of everything ``otel-agents serve`` sends and accepts.

    load("action_update.json")["$id"]        # 'urn:otel-agents:schema:serve-action-update:1'
    validator("frame.json").validate(frame)  # one WebSocket frame from the server

``serve-defs.json`` holds the shared shapes (Action, AgentFigures, Learning, ...); each
message type has a file of its own that refers to them by ``$id``.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from typing import Any

DEFS_ID = "urn:otel-agents:schema:serve-defs:1"


@functools.cache
def names() -> tuple[str, ...]:
    """File names of every schema shipped here."""
    folder = importlib.resources.files(__name__)
    return tuple(sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")))


@functools.cache
def load(file_name: str) -> dict[str, Any]:
    if file_name not in names():
        raise KeyError(file_name)
    text = importlib.resources.files(__name__).joinpath(file_name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def defs() -> dict[str, Any]:
    return load("serve-defs.json")


@functools.cache
def validator(file_name: str) -> Any:
    """A draft 2020-12 validator (with format checks) that resolves the shared ``$id``s."""
    return _validator(load(file_name))


@functools.cache
def def_validator(name: str) -> Any:
    """A validator of one shared shape, e.g. ``def_validator("FeedbackRequest")``."""
    return _validator({"$ref": f"{DEFS_ID}#/$defs/{name}"})


@functools.cache
def feedback_event_validator() -> Any:
    """The FeedbackEvent v1 schema's validator: what POST /api/v1/feedback will produce."""
    from otel_agents.events.feedback import load_feedback_schema

    return _validator(load_feedback_schema())


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resources(
        (load(name)["$id"], Resource.from_contents(load(name))) for name in names()
    )
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
