"""Deterministic event ids: a retried or replayed event keeps its id, so consumers de-duplicate.

event_id_for(span_context.trace_id, span_context.span_id)   # uuid5, as a string
"""

from __future__ import annotations

import uuid
from typing import Any

EVENT_TYPE_OUTCOME = "outcome"
EVENT_TYPE_PENDING = "pending"

#: Namespace of the deterministic event ids (uuid5); never change it within v1.
EVENT_ID_NAMESPACE = uuid.UUID("6f1e0b9c-2d5a-5b7e-9c3f-0a4d8e2b7c61")


_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def event_id_for(trace_id: int, span_id: int, event_type: str = EVENT_TYPE_OUTCOME) -> str:
    """The deterministic id of a span's event: a retried or replayed event keeps it.

    Exactly ``uuid.uuid5(namespace, "<trace>-<span>-<type>")``, computed without building
    UUID objects (this runs once per event).
    """
    return event_id_from_hex(hex_id(trace_id, 16), hex_id(span_id, 8), event_type)


def hex_id(number: int, size: int) -> str:
    """A trace (``size`` 16) or span (8) id as lowercase hex, ``2 * size`` digits.

    ``to_bytes().hex()`` is 4x faster than ``format()``, which only a number out of range
    (an invalid id) still needs, to be written as it is.
    """
    try:
        return number.to_bytes(size, "big").hex()
    except (OverflowError, AttributeError, TypeError):
        return f"{number:0{2 * size}x}"


# The namespace's SHA-1 state, made on first use: hashlib (OpenSSL) is not loaded by
# ``import otel_agents`` for ids that only the export side computes.
_namespace_sha1: Any = None


def event_id_from_hex(trace_hex: str, span_hex: str, event_type: str = EVENT_TYPE_OUTCOME) -> str:
    """``event_id_for`` given the ids already in hex (32 and 16 lowercase digits)."""
    global _namespace_sha1
    if _namespace_sha1 is None:
        import hashlib

        _namespace_sha1 = hashlib.sha1(_NAMESPACE_BYTES, usedforsecurity=False)
    sha = _namespace_sha1.copy()
    sha.update(f"{trace_hex}-{span_hex}-{event_type}".encode())
    h = sha.hexdigest()
    # uuid5: version nibble 5 (char 12), RFC 4122 variant bits in char 16.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}
