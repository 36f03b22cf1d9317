"""Property-based fuzzing of every public input an agent hands to otel-agents.

Whatever ``record``, metadata, tags, ``thought``, ``evaluation``, ``feedback``, an outcome
hook, a return value or an exception brings: nothing raises into agent code (except the
agent's own exception, untouched), the call's outcome is right, and its event is written
to the outcome log and validates against the published schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

import otel_agents as oa
from otel_agents._state import RUNTIME

_EXAMPLES = 150
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

# Text as an LLM stream may cut it: lone surrogates included.
any_text = st.text(st.characters(exclude_categories=()), max_size=50)
huge_int = st.integers(min_value=-(2**200), max_value=2**200)


class _BadStr:
    def __str__(self) -> str:
        raise RuntimeError("__str__ broke")

    def __format__(self, spec: str) -> str:
        raise RuntimeError("__format__ broke")

    def __repr__(self) -> str:  # hypothesis prints examples with repr()
        return "<BadStr>"


class _Opaque:
    __slots__ = ()


scalar = st.one_of(
    st.none(),
    st.booleans(),
    huge_int,
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.binary(max_size=40),
    st.just(_BadStr()),
    st.just(_Opaque()),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(any_text, huge_int, st.none()), inner, max_size=4),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=12,
)
record_fields = st.fixed_dictionaries(
    {},
    optional={
        name: value
        for name in (
            "status", "severity", "input_tokens", "output_tokens", "total_tokens",
            "llm_latency_ms", "cost_usd", "quality_score", "confidence_score", "reward",
            "retry_count", "model", "provider", "conversation_id", "tool_call_id",
            "action_type",
        )
    }
    | {"tags": st.lists(value, max_size=5), "metadata": st.dictionaries(scalar, value, max_size=6)},
)  # fmt: skip


class _Lab:
    def __init__(self, log: Path, validator: jsonschema.protocols.Validator) -> None:
        self.log = log
        self.validator = validator
        self._read = 0

    def new_events(self) -> list[dict[str, Any]]:
        assert oa.force_flush(10_000)
        lines = self.log.read_bytes().splitlines()
        fresh, self._read = lines[self._read :], len(lines)
        return [json.loads(line) for line in fresh]

    def one_event(self) -> dict[str, Any]:
        events = self.new_events()
        assert len(events) == 1, events
        self.validator.validate(events[0])
        data: dict[str, Any] = events[0]["data"]
        return data


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
    outcome_schema_validator: jsonschema.protocols.Validator,
) -> Iterator[_Lab]:
    log = tmp_path_factory.mktemp("fuzz") / "outcomes.jsonl"
    provider = TracerProvider(resource=Resource.create({"service.name": "fuzz"}))
    oa.configure(service_name="fuzz", tracer_provider=provider, outcome_log=log)
    try:
        yield _Lab(log, outcome_schema_validator)
    finally:
        oa.shutdown()
        provider.shutdown()
        RUNTIME.pre_hooks = RUNTIME.post_hooks = ()


@_SETTINGS
@given(fields=record_fields, thought=value, result=value)
def test_record_thought_and_return_value_never_raise(
    lab: _Lab, fields: dict[str, Any], thought: Any, result: Any
) -> None:
    @oa.agent(name="fuzzed")
    def agent() -> Any:
        oa.record(**fields)
        oa.thought(thought)
        return result

    assert agent() is result
    data = lab.one_event()
    assert data["name"] == "fuzzed"
    assert data["status"] in {"SUCCESS", "FAILURE", "PARTIAL", "TIMEOUT", "CANCELLED"}


@_SETTINGS
@given(name=value, score=value, label=value, explanation=value)
def test_evaluation_never_raises(
    lab: _Lab, name: Any, score: Any, label: Any, explanation: Any
) -> None:
    @oa.tool(name="judged")
    def judged() -> int:
        oa.evaluation(name, score=score, label=label, explanation=explanation)
        return 1

    assert judged() == 1
    assert lab.one_event()["status"] == "SUCCESS"


@_SETTINGS
@given(mapping=value)
def test_outcome_hook_returning_anything_never_raises(lab: _Lab, mapping: Any) -> None:
    @oa.agent(name="hooked", outcome=lambda _result: mapping)
    def hooked() -> str:
        return "done"

    assert hooked() == "done"
    assert lab.one_event()["name"] == "hooked"


_EXCEPTIONS = st.sampled_from(
    [
        (ValueError, "FAILURE"),
        (KeyError, "FAILURE"),
        (TimeoutError, "TIMEOUT"),
        (asyncio.TimeoutError, "TIMEOUT"),
        (asyncio.CancelledError, "CANCELLED"),
        (KeyboardInterrupt, "CANCELLED"),
        (RecursionError, "FAILURE"),
        (MemoryError, "FAILURE"),
    ]
)


@_SETTINGS
@given(kind=_EXCEPTIONS, message=value, bad_str=st.booleans())
def test_any_exception_is_recorded_with_the_right_status_and_reraised_untouched(
    lab: _Lab, kind: tuple[type[BaseException], str], message: Any, bad_str: bool
) -> None:
    exc_type, status = kind
    if bad_str:
        exc_type = type(
            "Unprintable" + exc_type.__name__, (exc_type,), {"__str__": _BadStr.__str__}
        )
    error = exc_type(message)

    @oa.agent(name="failing")
    def failing() -> None:
        raise error

    with pytest.raises(exc_type) as raised:
        failing()
    assert raised.value is error
    data = lab.one_event()
    assert data["status"] == status
    assert data["error_type"]


@_SETTINGS
@given(
    kind=st.sampled_from(["positive", "negative", "correction", "suggestion", "POSITIVE"]),
    score=st.one_of(
        st.none(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-5, 5)
    ),
    comment=value,
    correction=value,
    user=value,
)
def test_feedback_with_any_values_never_raises(
    lab: _Lab, kind: str, score: Any, comment: Any, correction: Any, user: Any
) -> None:
    @oa.agent(name="rated")
    def rated() -> str | None:
        return oa.current_event_id()

    event_id = rated()
    assert event_id is not None
    sent = oa.feedback(
        event_id, kind, score=score, comment=comment, correction=correction, user=user
    )
    assert sent.event_id == event_id
    lab.new_events()


@_SETTINGS
@given(target=value, kind=value)
def test_feedback_with_a_bad_target_or_kind_raises_only_value_error(
    lab: _Lab, target: Any, kind: Any
) -> None:
    with contextlib.suppress(ValueError):  # the documented refusal of a bad target or kind
        oa.feedback(target, kind)


@_SETTINGS
@given(
    returned=value,
    raise_in_hook=st.sampled_from([None, RuntimeError, SystemExit, ValueError]),
)
def test_hooks_that_raise_never_reach_the_agent(
    lab: _Lab, returned: Any, raise_in_hook: type[BaseException] | None
) -> None:
    def hook(call: oa.ActionCall) -> Any:
        if raise_in_hook is not None:
            raise raise_in_hook("hook broke")
        return returned

    oa.add_pre_hook(hook)
    oa.add_post_hook(hook)
    try:

        @oa.agent(name="observed")
        def observed() -> int:
            return 7

        assert observed() == 7
    finally:
        oa.remove_hook(hook)
    assert lab.one_event()["status"] == "SUCCESS"


def test_numbers_stay_finite_in_the_log(lab: _Lab) -> None:
    @oa.agent(name="nan")
    def nan() -> None:
        oa.record(cost_usd=math.nan, quality_score=math.inf, input_tokens=2**70)

    nan()
    data = lab.one_event()
    assert data["cost_usd"] is None and data["quality_score"] is None
