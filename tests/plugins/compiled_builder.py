"""Every event the compiled builder makes in any test is also built in Python and compared.

``otel_agents/events/_speedups.c`` must make exactly the ``data`` that the Python code in
``otel_agents/events/outcome.py`` makes (same fields, types, order and JSON bytes), or
decline with None. This plugin wraps it for every test, so the whole suite's events, from
the decorators, other libraries' spans, roll-ups, Kafka and the frameworks, check it. Its
envelope writer is checked the same way: the bytes of ``dumps(event.to_dict())``, or None;
and the Kafka record's key and ``traceparent`` header it encodes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from otel_agents import env
from otel_agents.events import outcome
from otel_agents.events.jsonsafe import dumps
from otel_agents.ids import EVENT_TYPE_OUTCOME


class BuilderCheck:
    """Counts what the compiled builder made and declined, and every difference found."""

    def __init__(self, compiled: Any, envelope: Any, record_ids: Any) -> None:
        self.compiled = compiled
        self.compiled_envelope = envelope
        self.compiled_record_ids = record_ids
        self.built = 0
        self.enveloped = 0
        self.declined = 0
        self.differences: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, span: Any, attributes: Any, events: Any, limit: int) -> Any:
        built = self.compiled(span, attributes, events, limit)
        if built is None:
            with self._lock:
                self.declined += 1
            return None
        expected = outcome._data_of(span, EVENT_TYPE_OUTCOME, limit, attributes, events)
        # The sinks' encoder (it repairs lone surrogates and huge ints, as the sinks see them).
        same = dumps(built) == dumps(expected) and built == expected
        with self._lock:
            self.built += 1
            if not same:
                self.differences.append(
                    f"span {getattr(span, 'name', span)!r}:\n  compiled {built!r}\n"
                    f"  python   {expected!r}"
                )
        return built

    def envelope(self, data: dict[str, Any]) -> bytes | None:
        written = self.compiled_envelope(data)
        if written is None:
            return None
        expected = dumps(outcome.OutcomeEvent(data).to_dict())
        with self._lock:
            self.enveloped += 1
            if written != expected:
                self.differences.append(
                    f"envelope:\n  compiled {written!r}\n  python   {expected!r}"
                )
        return written

    def record_ids(self, data: dict[str, Any]) -> tuple[bytes, bytes] | None:
        ids = self.compiled_record_ids(data)
        if ids is None:
            return None
        expected = (data["trace_id"].encode(), outcome._traceparent(data).encode())
        if ids != expected:
            with self._lock:
                self.differences.append(f"record ids: compiled {ids!r}, python {expected!r}")
        return ids


def compiled_builder_expected() -> bool:
    """CI must have the compiled builder (a C compiler is there); elsewhere it may lack one."""
    return bool(os.environ.get("CI")) and not env.is_on("OTEL_AGENTS_PURE_PYTHON")


@pytest.fixture(autouse=True)
def builder_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[BuilderCheck | None]:
    compiled = outcome._build_outcome
    if compiled is None:
        yield None
        return
    check = BuilderCheck(compiled, outcome._envelope_json, outcome._record_ids)
    monkeypatch.setattr(outcome, "_build_outcome", check)
    monkeypatch.setattr(outcome, "_envelope_json", check.envelope)
    monkeypatch.setattr(outcome, "_record_ids", check.record_ids)
    yield check
    assert not check.differences, "\n".join(check.differences[:3])
