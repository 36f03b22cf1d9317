"""The OpenAPI 3.1 document of the REST API, served at ``/openapi.json``.

``openapi.json`` (beside this module) holds the paths; the shapes come from the shipped
JSON Schemas (``schemas/serve-defs.json``), copied into ``components.schemas`` with their
references rewritten, so the document is self-contained and never drifts from them.

    document = openapi_document()
    document["paths"]["/api/v1/agents"]["get"]["operationId"]     # 'listAgents'
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
from typing import Any

from otel_agents.serve import schemas

_PREFIX = schemas.DEFS_ID + "#/$defs/"


@functools.cache
def _document() -> dict[str, Any]:
    text = importlib.resources.files(__package__).joinpath("openapi.json").read_text("utf-8")
    document: dict[str, Any] = _rewrite(json.loads(text))
    document["components"]["schemas"] = _rewrite(copy.deepcopy(schemas.defs()["$defs"]))
    return document


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may change theirs)."""
    return copy.deepcopy(_document())


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_PREFIX):
            node["$ref"] = "#/components/schemas/" + ref[len(_PREFIX) :]
        for value in node.values():
            _rewrite(value)
    elif isinstance(node, list):
        for value in node:
            _rewrite(value)
    return node
