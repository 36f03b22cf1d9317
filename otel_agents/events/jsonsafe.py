"""Turn arbitrary Python values into JSON-safe, size-limited values.

Used wherever user data (metadata, captured inputs/outputs, span attributes) enters an
OutcomeEvent or a span attribute. It never raises: what cannot be represented becomes a
descriptive string, so an event is degraded rather than lost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from typing import Any

# orjson and base64 load on first use: the decorators import this module, and most
# processes that import otel_agents encode nothing until content capture or export.
# orjson is then kept here: a global read, not an import statement per encode (~0.1 µs).
_orjson: Any = None


def _load_orjson() -> Any:
    global _orjson
    import orjson

    _orjson = orjson
    return orjson


TRUNCATION_MARKER = "…[truncated {omitted} chars]"
_MAX_DEPTH = 8
_MAX_ITEMS = 256


def truncate_text(text: str, max_length: int) -> str:
    """Cut ``text`` to at most ``max_length`` characters, saying how much was cut."""
    if len(text) <= max_length:
        return text
    omitted = len(text) - max_length
    marker = TRUNCATION_MARKER.format(omitted=omitted)
    keep = max(max_length - len(marker), 0)
    return text[:keep] + marker


def json_safe(
    value: Any, max_length: int = 4096, _depth: int = 0, _seen: set[int] | None = None
) -> Any:
    """Return a JSON-safe copy of ``value``.

    bytes become base64 text, NaN and infinities become None, strings longer than
    ``max_length`` are truncated with a marker, cycles and over-deep nesting are cut,
    and anything else is represented by its ``repr`` (size-limited).
    """
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return truncate_text(value, max_length)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return truncate_text(_base64(value), max_length)
    if _depth >= _MAX_DEPTH:
        return "[max depth]"
    seen = _seen if _seen is not None else set()
    marker = id(value)
    if marker in seen:
        return "[cycle]"
    if isinstance(value, Mapping):
        seen.add(marker)
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= _MAX_ITEMS:
                out["…"] = f"[{len(value) - _MAX_ITEMS} more items]"
                break
            out[truncate_text(str(key), 256)] = json_safe(item, max_length, _depth + 1, seen)
        seen.discard(marker)
        return out
    if isinstance(value, (list, tuple, Set)):
        seen.add(marker)
        items = list(value)
        result = [json_safe(item, max_length, _depth + 1, seen) for item in items[:_MAX_ITEMS]]
        if len(items) > _MAX_ITEMS:
            result.append(f"[{len(items) - _MAX_ITEMS} more items]")
        seen.discard(marker)
        return result
    return truncate_text(_safe_repr(value), max_length)


def safe_str(value: Any) -> str:
    """``str(value)``, or a description of it when its ``__str__`` raises.

    >>> safe_str(object_whose_str_raises)
    '<MyError: str() raised RuntimeError>'
    """
    try:
        text = str(value)
        # A str subclass may carry lone surrogates: keep the text, JSON-safe later.
        return text if type(text) is str else str.__str__(text)
    except Exception as exc:
        return f"<{type(value).__qualname__}: str() raised {type(exc).__name__}>"


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not lose the event
        return f"<unrepresentable {type(value).__qualname__}>"


def to_attribute_value(value: Any, max_length: int) -> str | bool | int | float | tuple[Any, ...]:
    """Make ``value`` a valid, size-limited OpenTelemetry attribute value.

    Primitives and homogeneous sequences of primitives pass through (strings truncated);
    anything else becomes its JSON-safe form encoded as a JSON string.
    """
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return truncate_text(value, max_length)
    if isinstance(value, (list, tuple)) and value:
        first = type(value[0])
        if first in (str, bool, int, float) and all(type(item) is first for item in value):
            if first is str:
                return tuple(truncate_text(item, max_length) for item in value)
            return tuple(value)
    return dumps_text(json_safe(value, max_length), max_length)


def dumps_text(value: Any, max_length: int) -> str:
    """JSON-encode an already JSON-safe value to text of at most ``max_length`` chars."""
    orjson = _orjson or _load_orjson()
    return truncate_text(orjson.dumps(value).decode("utf-8"), max_length)


def json_default(value: Any) -> Any:
    """orjson's ``default`` here: bytes as base64, sets as lists, anything else its repr."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _base64(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    return _safe_repr(value)


_INT64 = 2**63


def dumps(value: Any) -> bytes:
    """Encode to compact JSON bytes; never raises.

    The fast path is orjson as is. It refuses lone surrogates (an LLM stream cut
    mid-emoji) and integers beyond 64 bits; the slow path repairs those and anything else
    not JSON-safe, so one odd value costs one event a little time, never its batch.
    """
    orjson = _orjson or _load_orjson()
    payload: bytes
    try:
        payload = orjson.dumps(value, default=json_default)
    except (TypeError, orjson.JSONEncodeError):
        payload = orjson.dumps(_repaired(json_safe(value, max_length=1 << 20)))
    return payload


def _repaired(value: Any) -> Any:
    """A JSON-safe value with lone surrogates escaped and huge ints as decimal text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, int) and not isinstance(value, bool):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, dict):
        return {_repaired(str(k)): _repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    return value


def _base64(value: bytes | bytearray | memoryview) -> str:
    import base64

    return base64.b64encode(bytes(value)).decode("ascii")
