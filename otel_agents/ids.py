"""Deterministic event ids: a retried or replayed event keeps its id, so consumers de-duplicate.

event_id_for(span_context.trace_id, span_context.span_id)   # uuid5, as a string
"""

from __future__ import annotations

import hashlib
import uuid

EVENT_TYPE_OUTCOME = "outcome"
EVENT_TYPE_PENDING = "pending"

#: Namespace of the deterministic event ids (uuid5); never change it within v1.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1e0b9c-2d5a-5b7e-9c3f-0a4d8e2b7c61")


_NAMESPACE_BYTES = _EVENT_ID_NAMESPACE.bytes


def event_id_for(trace_id: int, span_id: int, event_type: str = EVENT_TYPE_OUTCOME) -> str:
    """The deterministic id of a span's event: a retried or replayed event keeps it.

    Exactly ``uuid.uuid5(namespace, "<trace>-<span>-<type>")``, computed without building
    UUID objects (this runs once per event).
    """
    name = f"{trace_id:032x}-{span_id:016x}-{event_type}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
